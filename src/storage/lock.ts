/**
 * Advisory file locks (flock(2)) between tsctr processes sharing a store. The kernel releases a
 * lock when its holder dies, even by SIGKILL, so a killed pull never leaves a lock behind and
 * nothing has to guess whether a lock file is stale.
 *
 * Waiting polls a non-blocking flock: a blocking one would stall Node's only JS thread (and with
 * it the download that holds the other lock in this same process).
 */
import { closeSync, mkdirSync, openSync, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { native } from '../native/loader.ts';
import { TsctrError, errnoName } from '../errors.ts';

const EWOULDBLOCK = 11;

export class FileLock {
  readonly path: string;
  private fd: number | undefined;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  private static open(path: string): number {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // libuv opens every file O_CLOEXEC, so a container or helper never inherits a lock.
    return openSync(path, fsc.O_RDWR | fsc.O_CREAT, 0o600);
  }

  /** Takes the lock now, or returns undefined when another process holds it. */
  static tryAcquire(path: string, exclusive = true): FileLock | undefined {
    const fd = FileLock.open(path);
    const err = native().flock(fd, exclusive, false);
    if (err === 0) return new FileLock(path, fd);
    closeSync(fd);
    if (err === EWOULDBLOCK) return undefined;
    throw new TsctrError(`cannot lock ${path}: ${errnoName(err)}`, { errno: errnoName(err) });
  }

  /** Waits for the lock; `onWait` is called once if it is held by someone else. */
  static async acquire(
    path: string,
    opts: { exclusive?: boolean; onWait?: () => void } = {},
  ): Promise<FileLock> {
    let delay = 10;
    let told = false;
    for (;;) {
      const l = FileLock.tryAcquire(path, opts.exclusive ?? true);
      if (l) return l;
      if (!told) {
        told = true;
        opts.onWait?.();
      }
      await new Promise((done) => setTimeout(done, delay));
      delay = Math.min(delay * 2, 200);
    }
  }

  release(): void {
    if (this.fd === undefined) return;
    // Closing the only fd drops the flock; the file itself stays (unlinking it would let a
    // waiter lock an inode that a newcomer no longer sees).
    closeSync(this.fd);
    this.fd = undefined;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
