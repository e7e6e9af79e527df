// The provider simulator in its own process, so simulated providers do not share the measured event loop with
// the router and its load; the benchmark scripts it through the simulator's HTTP control endpoint.
import { startProviderSimulator, type ProviderScript } from '../local/provider-simulator.js';

const providers = JSON.parse(process.argv[2] ?? '{}') as Record<string, Partial<ProviderScript>>;
const simulator = await startProviderSimulator({ providers });
process.send?.({ url: simulator.url });
process.on('message', (message: unknown) => {
  if (message === 'stop') void simulator.stop().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
