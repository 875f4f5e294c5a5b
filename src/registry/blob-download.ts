/**
 * A blob download that survives a dropped connection: when the body breaks off, the rest is
 * asked for with `Range: bytes=N-` (the distribution spec lets registries honour it; one that
 * answers 200 instead is read from the start and the first N bytes skipped), after a short
 * backoff. A 429 waits for Retry-After. The bytes are yielded in order exactly once, so the
 * digest computed downstream covers the whole blob whatever happened on the way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryHttpError, header, type RegistryClient } from './client.ts';

export interface DownloadOptions {
  /** Attempts after the first (resumes and retries together). */
  retries?: number;
  /** Longest Retry-After honoured, in ms; a longer one ends the download. */
  maxRetryAfter?: number;
  onRetry?: (why: string, offset: number) => void;
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

function retriable(err: unknown): boolean {
  if (err instanceof RegistryHttpError) return err.status >= 500 || err.status === 429;
  // Network errors, resets and stalls (undici's body timeout) mid-body.
  return true;
}

export async function* downloadBlob(
  client: RegistryClient,
  repo: string,
  digest: string,
  opts: DownloadOptions = {},
): AsyncGenerator<Buffer> {
  const retries = opts.retries ?? 3;
  let received = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const { body, start } = await client.getBlob(repo, digest, received);
      let skip = received - start;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (skip >= chunk.length) {
          skip -= chunk.length;
          continue;
        }
        const part = skip > 0 ? chunk.subarray(skip) : chunk;
        skip = 0;
        received += part.length;
        yield part;
      }
      return;
    } catch (err) {
      if (attempt >= retries || !retriable(err)) throw err;
      let wait = 500 * 2 ** attempt;
      if (err instanceof RegistryHttpError && err.status === 429) {
        const ra = retryAfterMs(header(err.headers, 'retry-after'));
        if (ra !== undefined && ra > (opts.maxRetryAfter ?? 30_000)) throw err;
        wait = ra ?? wait;
      }
      opts.onRetry?.((err as Error).message, received);
      await sleep(wait);
    }
  }
}
