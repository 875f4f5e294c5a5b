/**
 * Client of tsctr-unpack, the layer writer that runs as root inside the user namespace so that a
 * file owned by uid 1000 in an image is uid 1000 in the container. Records are framed as in
 * native/unpack/protocol.h; replies come back as lines ("OK", "ERR <op> <errno> <path>").
 */
import { Socket } from 'node:net';
import { closeSync } from 'node:fs';
import { once } from 'node:events';
import { native, helperPath } from '../native/loader.ts';
import { spawnInUserNamespace } from '../runtime/userns.ts';
import type { IdMap } from '../runtime/idmap.ts';
import { TsctrError, errnoName } from '../errors.ts';

export const Op = {
  Begin: 1,
  Dir: 2,
  File: 3,
  Symlink: 4,
  Hardlink: 5,
  Fifo: 6,
  Whiteout: 7,
  Opaque: 8,
  End: 9,
  Remove: 10,
  ProbeOverlay: 11,
} as const;

const opNames = Object.fromEntries(Object.entries(Op).map(([k, v]) => [v, k.toLowerCase()]));

export interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

const noMeta: EntryMeta = { mode: 0, uid: 0, gid: 0, mtime: new Date(0) };

export function encodeHeader(
  op: number,
  path: string,
  link: string,
  meta: EntryMeta,
  dataLength: number,
): Buffer {
  const p = Buffer.from(path);
  const l = Buffer.from(link);
  const h = Buffer.alloc(48 + p.length + l.length);
  const ms = meta.mtime.getTime();
  const sec = Math.floor(ms / 1000);
  h.writeUInt8(op, 0);
  h.writeUInt32LE(meta.mode & 0o7777, 4);
  h.writeUInt32LE(meta.uid >>> 0, 8);
  h.writeUInt32LE(meta.gid >>> 0, 12);
  h.writeBigInt64LE(BigInt(sec), 16);
  h.writeUInt32LE((ms - sec * 1000) * 1_000_000, 24);
  h.writeUInt32LE(p.length, 28);
  h.writeUInt32LE(l.length, 32);
  h.writeBigUInt64LE(BigInt(dataLength), 40);
  p.copy(h, 48);
  l.copy(h, 48 + p.length);
  return h;
}

export class LayerWriter {
  private readonly input: Socket;
  private readonly replies: Socket;
  private buffered = '';
  private waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  /** Rejects when the writer fails; raced against every wait so none outlives a failure. */
  private readonly failed: Promise<never>;
  private rejectFailed!: (e: Error) => void;

  private readonly pid: number;
  private closing = false;
  private corked = false;

  private constructor(pid: number, input: Socket, replies: Socket) {
    this.pid = pid;
    this.input = input;
    this.replies = replies;
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined);
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => this.onReply(chunk));
    replies.on('end', () => {
      if (!this.closing) this.fail(new TsctrError('the layer writer exited unexpectedly'));
    });
    input.on('error', () => {
      /* EPIPE: the reason arrives on the reply channel */
    });
  }

  static async start(idmap: IdMap): Promise<LayerWriter> {
    const n = native();
    const [inR, inW] = n.pipe();
    const [outR, outW] = n.pipe();
    let pid: number;
    try {
      const file = helperPath('tsctr-unpack');
      pid = await spawnInUserNamespace({
        file,
        argv: [file],
        env: [],
        stdio: [inR, outW, 2],
        idmap,
      });
    } catch (err) {
      for (const fd of [inW, outR]) closeSync(fd);
      throw err;
    } finally {
      closeSync(inR);
      closeSync(outW);
    }
    return new LayerWriter(
      pid,
      new Socket({ fd: inW, readable: false, writable: true }),
      new Socket({ fd: outR, readable: true, writable: false }),
    );
  }

  private onReply(chunk: string): void {
    this.buffered += chunk;
    let nl;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (line === 'OK') {
        this.waiting.shift()?.resolve();
      } else {
        const m = /^ERR (\d+) (\d+) (.*)$/.exec(line);
        const what = m ? `${opNames[Number(m[1])] ?? 'record'} ${m[3]}` : line;
        const errno = m ? errnoName(Number(m[2])) : undefined;
        this.fail(
          new TsctrError(`writing layer failed: ${what}: ${errno ?? 'error'}`, {
            errno,
            path: m?.[3],
            hint:
              errno === 'EINVAL'
                ? 'the image may use uids or gids beyond the ranges in /etc/subuid and /etc/subgid'
                : undefined,
          }),
        );
      }
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectFailed(err);
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  /** Rejects once the writer has failed; check it between records. */
  get error(): Error | undefined {
    return this.failure;
  }

  async write(buf: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    // Records of small entries are a few dozen bytes each: corked until the event loop turns,
    // they go out in one writev(2) instead of a write per record.
    if (!this.corked) {
      this.corked = true;
      this.input.cork();
      setImmediate(() => {
        this.corked = false;
        this.input.uncork();
      });
    }
    if (!this.input.write(buf)) await Promise.race([once(this.input, 'drain'), this.failed]);
    if (this.failure) throw this.failure;
  }

  record(op: number, path: string, link = '', meta: EntryMeta = noMeta, size = 0): Promise<void> {
    return this.write(encodeHeader(op, path, link, meta, size));
  }

  private reply(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async end(): Promise<void> {
    const done = this.reply();
    await this.record(Op.End, '');
    await done;
  }

  /** rm -rf of a tree whose files belong to the namespace's ids (layers, containers). */
  async remove(path: string): Promise<void> {
    const done = this.reply();
    await this.record(Op.Remove, path);
    await done;
  }

  /**
   * Test-mounts overlay with `options` on scratch/merged (lower, upper, work beside it) in a
   * throwaway mount namespace and makes a whiteout; the writer removes `scratch` afterwards.
   */
  async probeOverlay(scratch: string, options: string): Promise<void> {
    const done = this.reply();
    await this.record(Op.ProbeOverlay, scratch, options);
    await done;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.input.end();
    if (!this.replies.readableEnded) await once(this.replies, 'close').catch(() => undefined);
    native().waitpid(this.pid, true);
  }
}
