// EventBridge schedule (every 15 minutes): continues the current derived-data repair pass (an operator's run first)
// for the invocation's time, at the configured items per second, or starts the next scheduled pass when it is due.
// Every tenant's progress is saved as it is checked, so a timeout or crash only delays the pass.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { platform } from '../composition/platform.js';
import { repairOf } from '../composition/repair.js';
import type { TickOutcome } from '../core/repair/derived-data-repair.js';
import { REPAIR_MARGIN_MS } from '../core/repair/repair-settings.js';
import { logger, metrics } from '../observability.js';

export const handler = middy<unknown, TickOutcome>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (_event: unknown, context: Context) => {
    const outcome = await (await repairOf(platform())).tick(Math.max(1000, context.getRemainingTimeInMillis() - REPAIR_MARGIN_MS));
    logger.info('derived-data repair', { ...outcome });
    return outcome;
  });
