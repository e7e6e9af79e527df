// Maps every failure to application/problem+json. Problems pass through with their status; anything else is
// logged with its stack and becomes an opaque 500 so internals never leak to a caller.
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../observability.js';
import { Problem } from '../core/problems.js';

/** The problem+json response for `problem`; a problem that says when to retry also gets a Retry-After header. */
export function problemResponse(problem: Problem, instance?: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const retryAfter = problem.extensions.retryAfterSeconds;
  return {
    statusCode: problem.status,
    headers: {
      'content-type': 'application/problem+json',
      ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
      ...headers,
    },
    body: JSON.stringify(problem.toDocument(instance)),
  };
}

export function problemResponses(): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      const instance = request.event.requestContext?.requestId;
      if (error instanceof Problem) {
        // Deliberate refusals (paused writes, throttling) are outcomes, not faults: log them quietly.
        logger.info('request refused', { type: error.slug, status: error.status });
        request.response = problemResponse(error, instance);
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
