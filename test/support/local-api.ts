// Calling the embedded platform's HTTP API from a test as an integration would (a bearer token, a JSON body),
// and waiting for what the platform derives asynchronously (usage, search, queue states) without a fixed sleep:
// read until the value is accepted or the deadline passes, then let the test's expect show what was last read.
import { setTimeout as sleep } from 'node:timers/promises';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, any>;
}

export type ApiCall = (
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResponse>;

/** A caller of the platform whose base URL `baseUrl` returns now (a test may restart its platform on a new port). */
export function apiCaller(baseUrl: () => string): ApiCall {
  return async (method, path, token, body, headers = {}) => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : undefined) as Record<string, any> };
  };
}

/** Reads until `accept` holds or `seconds` pass, polling every quarter second; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await sleep(250);
  }
}
