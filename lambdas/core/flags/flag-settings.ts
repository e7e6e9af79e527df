// How stale an instance's copy of the flags may be. At most 30 s, so a change reaches every instance in under a
// minute. Declared once, here: lib/config.ts validates and composes it, the runtime reads it back, and the flag
// cache refuses anything longer.
import * as z from 'zod';

export const MAX_FLAG_CACHE_SECONDS = 30;

/** Seconds an instance serves its copy of the flags before reloading (config `runtime.flagCacheSeconds`). */
export const flagCacheSecondsSchema = z.number().int().min(1).max(MAX_FLAG_CACHE_SECONDS);
export const DEFAULT_FLAG_CACHE_SECONDS = 15;
