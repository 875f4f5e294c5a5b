/**
 * The endpoints one pull may use, in order (mirrors, then the registry itself: see
 * src/registry/sources.ts), and the policy for moving between them:
 *
 * - A mirror that refuses, times out, answers 5xx or 429 is marked failed on disk
 *   (src/registry/mirror-health.ts) and skipped; one that answers 401/403/404 (an allowlist, an
 *   image it does not carry) or sends a bad manifest is skipped for this pull only.
 * - Mirrors marked failed by earlier pulls are skipped at once, and tried again only when
 *   every other source has failed.
 * - The source that served the manifest serves the blobs; a blob a mirror cannot deliver intact
 *   is fetched from the registry itself instead.
 * - When every source fails, the error lists what each said.
 */
import { TsctrError } from '../errors.ts';
import {
  RegistryClient,
  RegistryHttpError,
  RegistryNetworkError,
  type RegistryCredential,
} from '../registry/client.ts';
import { describeSource, type PullSource } from '../registry/sources.ts';
import type { MirrorHealth } from '../registry/mirror-health.ts';

export type SourceEvent =
  | { kind: 'source'; source: string; mirror: boolean }
  | { kind: 'source-failed'; source: string; reason: string }
  | { kind: 'source-skipped'; source: string; reason: string; since: number };

export interface SourceOptions {
  health: MirrorHealth;
  credentials: (registry: string, repository: string) => Promise<RegistryCredential | undefined>;
  /** --tls-verify=false */
  insecure?: boolean;
  onEvent: (e: SourceEvent) => void;
}

/** Mirrors get short timeouts: a black-holed one must cost seconds, not minutes. */
const MIRROR_TIMEOUTS = { connectTimeout: 3_000, headersTimeout: 5_000 };

export class PullSources {
  readonly list: PullSource[];
  private readonly opts: SourceOptions;
  private readonly clients = new Map<number, RegistryClient>();
  /** Index in `list` of the source that served the manifest. */
  serving = -1;
  /** Sources that already failed during this pull; blobs are not asked of them. */
  private readonly failedHere = new Set<number>();

  constructor(list: PullSource[], opts: SourceOptions) {
    this.list = list;
    this.opts = opts;
  }

  client(i: number): RegistryClient {
    let c = this.clients.get(i);
    if (!c) {
      const s = this.list[i]!;
      c = new RegistryClient(s.registry, {
        insecure: s.insecure || !!this.opts.insecure,
        credentials: () => this.opts.credentials(s.registry, s.repository),
        ...(s.mirror ? MIRROR_TIMEOUTS : {}),
      });
      this.clients.set(i, c);
    }
    return c;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }

  /**
   * Runs `fn` against each source in turn until one succeeds; remembers which one in `serving`.
   */
  async first<T>(fn: (client: RegistryClient, source: PullSource) => Promise<T>): Promise<T> {
    const now = Date.now();
    const order: number[] = [];
    const later: number[] = [];
    this.list.forEach((s, i) => {
      const skip = s.mirror ? this.opts.health.skipped(s.registry, now) : undefined;
      if (skip) {
        this.opts.onEvent({ kind: 'source-skipped', source: describeSource(s), ...skip });
        later.push(i);
      } else order.push(i);
    });
    const failures: { source: PullSource; err: unknown }[] = [];
    for (const i of [...order, ...later]) {
      const s = this.list[i]!;
      try {
        const r = await fn(this.client(i), s);
        this.serving = i;
        if (s.mirror) this.opts.health.succeeded(s.registry);
        this.opts.onEvent({ kind: 'source', source: describeSource(s), mirror: s.mirror });
        return r;
      } catch (err) {
        failures.push({ source: s, err });
        this.failedHere.add(i);
        if (!s.mirror) continue;
        if (marksMirrorFailed(err)) this.opts.health.failed(s.registry, reasonOf(err));
        this.opts.onEvent({
          kind: 'source-failed',
          source: describeSource(s),
          reason: reasonOf(err),
        });
      }
    }
    throw allFailed(failures);
  }

  /**
   * Runs a blob download against the serving source, then (when a mirror fails it) against the
   * sources after it, except those that already failed in this pull or are being skipped: each
   * would cost its timeouts again, per layer.
   */
  async blob<T>(fn: (client: RegistryClient, source: PullSource) => Promise<T>): Promise<T> {
    const start = Math.max(this.serving, 0);
    let lastErr: unknown;
    for (let i = start; i < this.list.length; i++) {
      const s = this.list[i]!;
      const skip = s.mirror && this.opts.health.skipped(s.registry);
      // After the serving mirror, only the registries themselves: a mirror this pull has not
      // tried is as likely to be black-holed as to help, and would cost its timeouts per layer.
      if (i !== start && (s.mirror || this.failedHere.has(i) || skip)) continue;
      try {
        return await fn(this.client(i), s);
      } catch (err) {
        lastErr = err;
        if (!s.mirror) throw err;
        if (i !== start) this.failedHere.add(i);
        if (marksMirrorFailed(err)) this.opts.health.failed(s.registry, reasonOf(err));
        this.opts.onEvent({
          kind: 'source-failed',
          source: describeSource(s),
          reason: reasonOf(err),
        });
      }
    }
    throw lastErr;
  }
}

function marksMirrorFailed(err: unknown): boolean {
  if (err instanceof RegistryNetworkError) return true;
  return err instanceof RegistryHttpError && (err.status >= 500 || err.status === 429);
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function allFailed(failures: { source: PullSource; err: unknown }[]): unknown {
  // Without mirrors (the registry itself, perhaps also as library/NAME) its first answer is
  // the one that speaks to what the user typed.
  if (failures.length === 1 || failures.every((f) => !f.source.mirror)) return failures[0]!.err;
  const last = failures.at(-1)!.err;
  const lines = failures.map(
    (f) => `  ${f.source.mirror ? 'mirror ' : ''}${describeSource(f.source)}: ${reasonOf(f.err)}`,
  );
  return new TsctrError(
    `pulling ${failures[0]!.source.origin} failed from every source:\n${lines.join('\n')}`,
    {
      cause: last,
      ...(last instanceof TsctrError && last.hint ? { hint: last.hint } : {}),
    },
  );
}
