// The two fair job queues by name: the main queue every tenant group shares, and the overflow queue an
// over-quota group's jobs go to (drained by far fewer consumers). Core routes between them by these names;
// lambdas/queues.ts defines the queues themselves (redrive, batch, concurrency) for the stacks and the emulator.
export const QUEUE_NAMES = ['jobs', 'jobs-overflow'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
