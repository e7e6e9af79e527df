// Command-line arguments are validated with the API's own schemas before anything is sent; a bad argument is one
// readable message per problem and a pointer to --help, and it is a usage error (exit 2), never a refused call.
import type * as z from 'zod';

/** A mistake in the command line (a missing, unknown or bad argument): exit 2, before anything is sent. */
export class UsageError extends Error {}

export function parseArgs<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || 'value'}: ${issue.message}`).join('\n');
  throw new UsageError(`Invalid arguments:\n${problems}\nSee --help for the expected form.`);
}
