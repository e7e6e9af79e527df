// The derived-data reconciler on the embedded platform: EventBridge's one-minute schedule of AWS as an in-process
// loop that invokes the same `repair` function with a scheduled event, every `intervalMs` (shorter than on AWS, so a
// requested run starts within seconds). The function decides whether a pass is due; this only keeps the beat.
import { interruptiblePause } from './interruptible-pause.js';

export interface RepairLoopOptions {
  /** One invocation of the repair function with a scheduled event and this time budget. */
  readonly run: (event: unknown, budgetMs: number) => Promise<unknown>;
  /** @default 2000 */
  readonly intervalMs?: number;
  /** Time per invocation. @default 5000 */
  readonly budgetMs?: number;
  readonly log?: (line: string) => void;
}

export interface RepairLoop {
  /** Invocations so far. */
  readonly runs: number;
  /** Stops after the invocation in progress; the next start resumes the pass from the control table. */
  stop(): Promise<void>;
}

/** EventBridge's scheduled event, as the rule delivers it. */
export const scheduledEvent = (at: Date) => ({
  version: '0',
  id: `local-${at.getTime()}`,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: at.toISOString(),
  region: process.env.AWS_REGION ?? 'us-east-1',
  resources: [],
  detail: {},
});

export function startRepairLoop(options: RepairLoopOptions): RepairLoop {
  const pause = interruptiblePause();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let stopping = false;
  let runs = 0;
  const done = (async () => {
    while (!stopping) {
      try {
        await options.run(scheduledEvent(new Date()), options.budgetMs ?? 5000);
      } catch (error) {
        log(`derived-data repair: run failed (${(error as Error).message}); the next run resumes the pass`);
      }
      runs++;
      if (!stopping) await pause.pause(options.intervalMs ?? 2000);
    }
  })();
  return {
    get runs() {
      return runs;
    },
    async stop() {
      stopping = true;
      pause.interrupt();
      await done;
    },
  };
}
