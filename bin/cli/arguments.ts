// Command-line arguments are validated with the API's own schemas before anything is sent; a bad argument is one
// readable message per problem and a pointer to --help.
import type * as z from 'zod';
import { CliError } from './admin-client.js';

export function parseArgs<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || 'value'}: ${issue.message}`).join('\n');
  throw new CliError(`Invalid arguments:\n${problems}\nSee --help for the expected form.`);
}
