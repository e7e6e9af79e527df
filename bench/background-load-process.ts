// Background-lane load in its own process, as on AWS where the job worker and suggest-reply are separate
// functions: they share the providers' capacity, never a CPU. Its own router enforces the background share.
import { setTimeout as sleep } from 'node:timers/promises';
import { RoutingFailure } from '../lambdas/core/llm/llm-router.js';
import { BENCH_MESSAGES, benchRouter } from './llm-load.js';

interface Params {
  readonly simulatorUrl: string;
  readonly share: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly shedPauseMs: number;
}

const params = JSON.parse(process.argv[2] ?? '{}') as Params;
const router = benchRouter(params.simulatorUrl, params.share);
let served = 0;
let shed = 0;

process.once('message', async () => {
  const end = performance.now() + params.seconds * 1000;
  await Promise.all(
    Array.from({ length: params.concurrency }, async () => {
      while (performance.now() < end) {
        try {
          await router.complete({ lane: 'background', messages: BENCH_MESSAGES });
          served++;
        } catch (error) {
          if (!(error instanceof RoutingFailure)) throw error;
          shed++;
          // A consumer whose job was shed moves on after a short pause (the summary is regenerated later).
          await sleep(params.shedPauseMs);
        }
      }
    }),
  );
  process.send?.({ served, shed }, () => process.exit(0));
});
process.send?.('ready');
