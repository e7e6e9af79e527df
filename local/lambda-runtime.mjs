// A stand-in for the Lambda Node.js runtime, in plain JavaScript with no imports but Node's own: it loads one
// function's bundle from its task root by the handler string (`index.handler`) with import(), exactly as the
// runtime does, so a bundle that needs a package it does not carry fails here as it would on Lambda. It then
// serves invocations from its parent over IPC. Usage: node lambda-runtime.mjs <task root> <handler>.
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [taskRoot, handlerSpec] = process.argv.slice(2);
const describe = (error) => ({
  name: error?.name ?? 'Error',
  code: error?.code,
  message: String(error?.message ?? error),
  stack: error?.stack,
});

const started = performance.now();
let handler;
try {
  const dot = handlerSpec.lastIndexOf('.');
  const module = await import(pathToFileURL(join(taskRoot, `${handlerSpec.slice(0, dot)}.mjs`)).href);
  handler = module[handlerSpec.slice(dot + 1)];
  if (typeof handler !== 'function')
    throw Object.assign(new Error(`${handlerSpec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  process.send({ type: 'ready', initMs: performance.now() - started });
} catch (error) {
  process.send({ type: 'init-error', error: describe(error) }, () => process.exit(1));
}

process.on('message', async ({ id, event, timeoutMs }) => {
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    logStreamName: 'rehearsal',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  const invoked = performance.now();
  try {
    const result = await handler(event, context);
    process.send({ type: 'result', id, result: result ?? null, durationMs: performance.now() - invoked });
  } catch (error) {
    process.send({ type: 'error', id, error: describe(error), durationMs: performance.now() - invoked });
  }
});
