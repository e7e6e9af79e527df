// How tenancy behaves at runtime: the tier a tenant gets when none is named, and how long an instance may serve a
// tenant's placement from its cache. Declared once, here: lib/config.ts validates and composes them, and the
// runtime environment reads them back with the same bounds and defaults.
import * as z from 'zod';
import type { Tier } from './tiers.js';

/** The tier of a tenant created without one (config `defaultTier`). */
export const DEFAULT_TIER: Tier = 'standard';

/**
 * How long an instance serves a tenant's placement from its cache (config `runtime.directoryCacheSeconds`). A
 * move's `complete` waits twice this long after the flip before deleting the old copy.
 */
export const directoryCacheSecondsSchema = z.number().int().min(0).max(300);
export const DEFAULT_DIRECTORY_CACHE_SECONDS = 30;
