/**
 * The three pieces of undici the registry client uses (Agent, the redirect interceptor and
 * `request`), imported from undici's own files rather than its index. The index loads every
 * feature (fetch, WebSocket, caches, mocks, proxy agents) and with them node:http2, dns,
 * worker_threads, stream/web and more: 110-130 ms of every pull, push or login here, against
 * ~45 ms for these files (measured with require() timings). package-lock.json pins undici, and
 * the registry tests exercise these paths on every upgrade.
 */
import type { Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import redirect from 'undici/lib/interceptor/redirect.js';
import apiRequest from 'undici/lib/api/api-request.js';

export { Agent, redirect };
export type { Dispatcher };

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
  dispatcher: Dispatcher;
};

/** undici's `request(url, opts)`, for a caller that always names its dispatcher. */
export function request(url: string | URL, opts: RequestOptions): Promise<Dispatcher.ResponseData> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const { dispatcher, ...rest } = opts;
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: u.origin,
    path: u.search ? `${u.pathname}${u.search}` : u.pathname,
    method: opts.method ?? 'GET',
  });
}
