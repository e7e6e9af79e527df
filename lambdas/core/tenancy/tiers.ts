// The usage tiers a tenant can be on. Everything keyed by tier (usage plans, admission rates, token quotas) is
// declared with `perTier`, so adding a tier is a compile error and a config error wherever it is not yet priced.
import * as z from 'zod';

export const TIERS = ['free', 'standard', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export const tierSchema = z.enum(TIERS);

/** One `schema` value for every tier, no more: an unknown tier is refused by name, a missing one too. */
export const perTier = <T extends z.ZodType>(schema: T) =>
  z.strictObject(Object.fromEntries(TIERS.map((tier) => [tier, schema])) as Record<Tier, T>);
