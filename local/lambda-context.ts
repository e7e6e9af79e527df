// The Lambda `Context` the embedded platform hands to every handler it invokes (HTTP bridge, stream and queue
// pollers), so handlers and Powertools see the same fields they get on AWS.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A context for one invocation of `functionName` that must finish by `deadline` (epoch ms). */
export const lambdaContext = (functionName: string, deadline: number): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
