/**
 * What tsctr remembers between pulls about mirrors that failed: a mirror that refused, timed
 * out or answered 5xx/429 is skipped at once by the next pulls for a while (5 minutes, doubling
 * with each further failure up to 1 hour), instead of costing every pull a timeout as it does
 * with podman. A success forgets it. The memory is a small JSON file in the storage root;
 * concurrent pulls may overwrite each other's entries, which at worst costs one more try.
 */
import { readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

interface Entry {
  failedAt: number;
  failures: number;
  reason: string;
}

const BASE_MS = 5 * 60_000;
const MAX_MS = 60 * 60_000;

export class MirrorHealth {
  private readonly file: string;
  private entries: Record<string, Entry> | undefined;

  constructor(root: string) {
    this.file = join(root, 'mirror-health.json');
  }

  private load(): Record<string, Entry> {
    if (this.entries) return this.entries;
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      this.entries = v && typeof v === 'object' ? (v as Record<string, Entry>) : {};
    } catch {
      this.entries = {};
    }
    return this.entries;
  }

  private save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.entries ?? {}, null, 1), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      // Memory of failures is an optimisation; a read-only or missing root must not fail a pull.
      rmSync(tmp, { force: true });
    }
  }

  /** Why `mirror` is to be skipped now, and since when; undefined to try it. */
  skipped(mirror: string, now = Date.now()): { reason: string; since: number } | undefined {
    const e = this.load()[mirror];
    if (!e) return undefined;
    const window = Math.min(BASE_MS * 2 ** (e.failures - 1), MAX_MS);
    if (now - e.failedAt >= window) return undefined;
    return { reason: e.reason, since: e.failedAt };
  }

  failed(mirror: string, reason: string, now = Date.now()): void {
    const entries = this.load();
    const old = entries[mirror];
    entries[mirror] = { failedAt: now, failures: (old?.failures ?? 0) + 1, reason };
    this.save();
  }

  succeeded(mirror: string): void {
    const entries = this.load();
    if (!entries[mirror]) return;
    delete entries[mirror];
    this.save();
  }
}
