// The job queues' URLs as the environment gives them (HEADROOM_JOB_QUEUES); a function without job queues that
// asks for them is a wiring mistake the error names.
import type { RuntimeEnvironment } from '../environment.js';

export function jobQueueUrls(env: RuntimeEnvironment): Record<string, string> {
  if (!env.jobQueues) throw new Error('HEADROOM_JOB_QUEUES is not set: this function has no job queues');
  return env.jobQueues;
}
