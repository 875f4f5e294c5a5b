/**
 * A streaming ustar writer for image archives: headers from node-tar's Header, file contents
 * copied from the store in chunks with backpressure, so an image of any size passes through a
 * few hundred KiB of memory. Every entry is 0/0 and dated the epoch, as docker dates its
 * archive's documents: the same images always give the same archive bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Header } from 'tar';
import { TsctrError, fromSystemError } from '../errors.ts';

const BLOCK = 512;
const EPOCH = new Date(0);

export class TarWriter {
  private readonly out: Writable;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;

  constructor(out: Writable) {
    this.out = out;
    this.failed = new Promise<never>((_, reject) => {
      out.on('error', (err: Error) => {
        this.failure ??= err;
        reject(err);
      });
    });
    this.failed.catch(() => undefined);
  }

  private async write(buf: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.out.write(buf)) await Promise.race([once(this.out, 'drain'), this.failed]);
  }

  private header(path: string, type: 'File' | 'Directory', size: number): Buffer {
    const h = new Header({
      path,
      type,
      size,
      mode: type === 'File' ? 0o644 : 0o755,
      uid: 0,
      gid: 0,
      mtime: EPOCH,
    });
    // Names here are at most blobs/sha256/<64 hex>: they always fit ustar, never need PAX.
    if (h.encode() || !h.block) throw new TsctrError(`tar entry name too long: ${path}`);
    return h.block;
  }

  private async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest) await this.write(Buffer.alloc(BLOCK - rest));
  }

  async dir(path: string): Promise<void> {
    await this.write(this.header(path.endsWith('/') ? path : `${path}/`, 'Directory', 0));
  }

  async file(path: string, data: Buffer): Promise<void> {
    await this.write(this.header(path, 'File', data.length));
    await this.write(data);
    await this.pad(data.length);
  }

  /**
   * Copies `source` (`size` bytes, whose sha256 must be `digest`) into the archive. A store
   * blob that changed or rotted fails the save instead of producing an archive that fails later.
   */
  async fileFrom(path: string, source: string, size: number, digest: string): Promise<void> {
    await this.write(this.header(path, 'File', size));
    const hash = createHash('sha256');
    let n = 0;
    try {
      for await (const chunk of createReadStream(source, { highWaterMark: 256 * 1024 })) {
        const buf = chunk as Buffer;
        n += buf.length;
        if (n > size) break;
        hash.update(buf);
        await this.write(buf);
      }
    } catch (err) {
      // A failed write (the reader of stdout went away) is the caller's to word.
      if (err === this.failure) throw err;
      throw fromSystemError(`cannot read blob ${digest}`, err);
    }
    if (n !== size || `sha256:${hash.digest('hex')}` !== digest) {
      throw new TsctrError(`blob ${digest} in the store is damaged`, {
        hint: 'remove the image (tsctr rmi) and pull it again',
      });
    }
    await this.pad(size);
  }

  /**
   * Writes the two zero blocks that end an archive; ends the stream when `close` (a file), or
   * waits for it to drain (stdout, which Node does not let a program end).
   */
  async end(close: boolean): Promise<void> {
    await this.write(Buffer.alloc(BLOCK * 2));
    if (this.failure) throw this.failure;
    if (close) {
      const finished = once(this.out, 'finish');
      this.out.end();
      await Promise.race([finished, this.failed]);
    } else if (this.out.writableNeedDrain) {
      await Promise.race([once(this.out, 'drain'), this.failed]);
    }
  }
}
