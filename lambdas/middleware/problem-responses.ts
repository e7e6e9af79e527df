// Maps every failure to application/problem+json. Problems pass through with their status; anything else is
// logged with its stack and becomes an opaque 500 so internals never leak to a caller.
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../observability.js';
import { Problem } from '../problems.js';

export const problemResponse = (problem: Problem, instance?: string, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode: problem.status,
  headers: { 'content-type': 'application/problem+json', ...headers },
  body: JSON.stringify(problem.toDocument(instance)),
});

export function problemResponses(): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      const instance = request.event.requestContext?.requestId;
      if (error instanceof Problem) {
        // Deliberate refusals (paused writes, throttling) are outcomes, not faults: log them quietly.
        logger.info('request refused', { type: error.slug, status: error.status });
        const retryAfter = error.extensions.retryAfterSeconds;
        request.response = problemResponse(error, instance, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
        return;
      }
      logger.error('unhandled error', { error: error as Error });
      request.response = problemResponse(
        new Problem('internal', 'Something went wrong on our side. Retry with backoff; if it persists, quote the instance id to support.'),
        instance,
      );
    },
  };
}
