/**
 * Client of tsctr-unpack, the layer writer that runs as root inside the user namespace so that a
 * file owned by uid 1000 in an image is uid 1000 in the container. Records are framed as in
 * native/unpack/protocol.h; replies come back as lines ("OK", "ERR <op> <errno> <path>").
 */
import { Socket } from 'node:net';
import { closeSync } from 'node:fs';
import { once } from 'node:events';
import { native, helperPath } from '../native/loader.ts';
import { spawnInUserNamespace } from '../userns/spawn.ts';
import type { IdMap } from '../userns/idmap.ts';
import { TsctrError, errnoMessage, errnoName, systemHint } from '../errors.ts';

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
  mtimeSec: number;
  mtimeNsec: number;
}

const noMeta: EntryMeta = { mode: 0, uid: 0, gid: 0, mtimeSec: 0, mtimeNsec: 0 };

/**
 * A record the writer could not apply ("ERR <op> <errno> <path>"). Its own message suits a
 * removal or a probe; for a layer's entries, unpack.ts words it with what the entry was.
 */
export class LayerWriteError extends TsctrError {
  /** The record's op, by name ("file", "hardlink", …); "record" when the reply is garbled. */
  readonly op: string;
  /** What went wrong in words ("no such file or directory"). */
  readonly reason: string;

  constructor(op: string, errno: number | undefined, path: string | undefined, line: string) {
    const name = errno === undefined ? undefined : errnoName(errno);
    const reason = errno === undefined ? 'error' : errnoMessage(errno);
    const what = path === undefined ? line : `${op} ${path}`;
    super(`writing layer failed: ${what}: ${name ?? 'error'}`, {
      errno: name,
      path,
      hint:
        name === 'EINVAL'
          ? 'the image may use uids or gids beyond the ranges in /etc/subuid and /etc/subgid'
          : systemHint(name),
    });
    this.op = op;
    this.reason = reason;
  }
}

const HEADER = 48;
/** Records are staged in buffers of this size and sent a buffer at a time. */
const STAGE = 256 * 1024;
/** File data up to this size is copied into the stage; larger slices are sent as they are. */
const COPY_MAX = 16 * 1024;

/** One tsctr-unpack process: reaped once the last of its lanes is closed. */
interface WriterProcess {
  pid: number;
  open: number;
}

export class LayerWriter {
  /** The mapping the writer runs under: which owners it can give files. */
  readonly idmap: IdMap;
  private readonly input: Socket;
  private readonly replies: Socket;
  private buffered = '';
  private waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  /** Rejects when the writer fails; raced against every wait so none outlives a failure. */
  private readonly failed: Promise<never>;
  private rejectFailed!: (e: Error) => void;

  private readonly proc: WriterProcess;
  private closing = false;
  /** Records not yet handed to the socket: stage[sent, used). */
  private stage = Buffer.allocUnsafe(STAGE);
  private sent = 0;
  private used = 0;
  private corked = false;
  /** Bytes of the current File record's data not yet staged. */
  private owed = 0;

  private constructor(proc: WriterProcess, idmap: IdMap, input: Socket, replies: Socket) {
    this.proc = proc;
    this.idmap = idmap;
    this.input = input;
    this.replies = replies;
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined);
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => this.onReply(chunk));
    replies.on('end', () => {
      if (!this.closing) this.fail(new TsctrError('the layer writer exited unexpectedly'));
    });
    // A socket's 'error' without a listener is an uncaught exception, past the command's own
    // error handling: a read error fails the writer like any other failure.
    replies.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(
        new TsctrError(`reading the layer writer's replies failed: ${err.code ?? err.message}`, {
          cause: err,
        }),
      ),
    );
    input.on('error', () => {
      /* EPIPE: the reason arrives on the reply channel */
    });
  }

  static async start(idmap: IdMap): Promise<LayerWriter> {
    return (await LayerWriter.startLanes(idmap, 1))[0]!;
  }

  /**
   * `lanes` independent writers from one tsctr-unpack process (its first lane is the process
   * itself, the others forked children: native/unpack/main.cc), for one clone and one
   * newuidmap/newgidmap however many layers are unpacked at once.
   */
  static async startLanes(idmap: IdMap, lanes: number): Promise<LayerWriter[]> {
    const n = native();
    const local: number[] = []; // per lane: records (write end), replies (read end)
    const remote: number[] = []; // per lane: records (read end), replies (write end)
    try {
      for (let i = 0; i < lanes; i++) {
        const [inR, inW] = n.pipe();
        const [outR, outW] = n.pipe();
        local.push(inW, outR);
        remote.push(inR, outW);
      }
    } catch (err) {
      for (const fd of [...local, ...remote]) closeSync(fd);
      throw err;
    }
    let pid: number;
    try {
      const file = helperPath('tsctr-unpack');
      pid = await spawnInUserNamespace({
        file,
        argv: lanes > 1 ? [file, String(lanes)] : [file],
        env: [],
        // Lane 0 on fds 0 and 1, lane i on 3+2(i-1) and 4+2(i-1).
        stdio: [remote[0]!, remote[1]!, 2, ...remote.slice(2)],
        idmap,
      });
    } catch (err) {
      for (const fd of local) closeSync(fd);
      throw err;
    } finally {
      for (const fd of remote) closeSync(fd);
    }
    const proc: WriterProcess = { pid, open: lanes };
    return Array.from({ length: lanes }, (_, i) => {
      // Headroom above the pipe's own buffer, so that a burst of small records does not stall
      // (a stream option the Socket type omits, passed through to the Writable).
      const input = {
        fd: local[2 * i]!,
        readable: false,
        writable: true,
        writableHighWaterMark: 1 << 20,
      };
      return new LayerWriter(
        proc,
        idmap,
        new Socket(input),
        new Socket({ fd: local[2 * i + 1]!, readable: true, writable: false }),
      );
    });
  }

  /** Whether the writer has failed (and exited): it takes no more records. */
  get broken(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Whether the writer is between records. A layer that fails in the middle of a file leaves
   * it expecting the rest of that file's data, so whatever came next would be read as data.
   */
  get inStep(): boolean {
    return this.owed === 0;
  }

  /** Gives the writer up: it reads end of input, reports the record cut short and exits. */
  abandon(): void {
    this.fail(new TsctrError('the layer writer was given up in the middle of a record'));
    this.input.destroy();
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
        this.fail(
          m
            ? new LayerWriteError(opNames[Number(m[1])] ?? 'record', Number(m[2]), m[3], line)
            : new LayerWriteError('record', undefined, undefined, line),
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

  /**
   * Stages one record (see native/unpack/protocol.h); a File record's `size` bytes of data must
   * follow through `data`. Nothing is sent until `flush`.
   */
  entry(op: number, path: string, link = '', meta: EntryMeta = noMeta, size = 0): void {
    // Worst case of UTF-8 from UTF-16: three bytes per code unit.
    const need = HEADER + 3 * (path.length + link.length);
    if (this.stage.length - this.used < need) this.restage(need);
    const b = this.stage;
    const at = this.used;
    const pathLen = b.write(path, at + HEADER, 'utf8');
    const linkLen = link ? b.write(link, at + HEADER + pathLen, 'utf8') : 0;
    b.fill(0, at, at + HEADER);
    b[at] = op;
    b.writeUInt32LE(meta.mode & 0o7777, at + 4);
    b.writeUInt32LE(meta.uid >>> 0, at + 8);
    b.writeUInt32LE(meta.gid >>> 0, at + 12);
    // int64 seconds as two halves: exact for any date a tar header can hold.
    const sec = meta.mtimeSec;
    b.writeUInt32LE(sec >>> 0, at + 16);
    b.writeInt32LE(Math.floor(sec / 2 ** 32), at + 20);
    b.writeUInt32LE(meta.mtimeNsec, at + 24);
    b.writeUInt32LE(pathLen, at + 28);
    b.writeUInt32LE(linkLen, at + 32);
    b.writeUInt32LE(size >>> 0, at + 40);
    b.writeUInt32LE(Math.floor(size / 2 ** 32), at + 44);
    this.used = at + HEADER + pathLen + linkLen;
    this.owed = size;
  }

  /** Stages file data: small slices are copied, large ones sent after what is staged. */
  data(chunk: Buffer): void {
    this.owed -= chunk.length;
    if (chunk.length <= COPY_MAX) {
      if (this.stage.length - this.used < chunk.length) this.restage(chunk.length);
      chunk.copy(this.stage, this.used);
      this.used += chunk.length;
      return;
    }
    this.send();
    this.out(chunk);
  }

  /** Writes to the socket, corked until `flush` so that one writev(2) carries the lot. */
  private out(buf: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.input.cork();
    }
    this.input.write(buf);
  }

  /** Hands what is staged to the socket without waiting. */
  private send(): void {
    if (this.used === this.sent) return;
    this.out(this.stage.subarray(this.sent, this.used));
    this.sent = this.used;
  }

  /** Sends what is staged and starts a new stage with at least `need` bytes of room. */
  private restage(need: number): void {
    this.send();
    // The socket holds the slices already written until the kernel has them: a new buffer,
    // never an overwrite.
    this.stage = Buffer.allocUnsafe(Math.max(STAGE, need));
    this.sent = 0;
    this.used = 0;
  }

  /**
   * Sends everything staged, in one writev(2) where possible, and waits while the writer is
   * behind (the socket's buffer is full). Rejects once the writer has failed.
   */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    this.send();
    if (this.corked) {
      this.corked = false;
      this.input.uncork();
    }
    if (this.input.writableNeedDrain) {
      await Promise.race([once(this.input, 'drain'), this.failed]);
    }
    if (this.failure) throw this.failure;
  }

  /** One record, sent at once. */
  async record(op: number, path: string, link = '', meta?: EntryMeta, size = 0): Promise<void> {
    this.entry(op, path, link, meta, size);
    await this.flush();
  }

  /**
   * Sends a record that the writer answers with OK, and waits for the answer. The waiter is
   * queued before the record goes out, since the answer can arrive before `record` returns.
   * When sending fails first, the waiter is never awaited, and its rejection must not count as
   * unhandled: Node ends the process on one, past the command's own error handling.
   */
  private async request(op: number, path: string, link = '', meta?: EntryMeta): Promise<void> {
    if (this.failure) throw this.failure;
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    done.catch(() => undefined);
    await this.record(op, path, link, meta);
    await done;
  }

  /** Ends the layer: directory times are set; with `sync`, the filesystem is synced too. */
  async end(sync: boolean): Promise<void> {
    await this.request(Op.End, '', '', { ...noMeta, mode: sync ? 1 : 0 });
  }

  /** rm -rf of a tree whose files belong to the namespace's ids (layers, containers). */
  async remove(path: string): Promise<void> {
    await this.request(Op.Remove, path);
  }

  /**
   * Test-mounts overlay with `options` on scratch/merged (lower, upper, work beside it) in a
   * throwaway mount namespace and makes a whiteout; the writer removes `scratch` afterwards.
   */
  async probeOverlay(scratch: string, options: string): Promise<void> {
    await this.request(Op.ProbeOverlay, scratch, options);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.input.end();
    if (!this.replies.readableEnded) await once(this.replies, 'close').catch(() => undefined);
    if (--this.proc.open === 0) native().waitpid(this.proc.pid, true);
  }
}

/**
 * Writers for the layers of one pull or load: `lanes` of them from one process, started on
 * first use and each reused for layer after layer. A writer that failed is not reused; if
 * every lane is busy or broken, a writer of its own is started.
 */
export class WriterPool {
  private readonly idmap: IdMap;
  private readonly lanes: number;
  private starting: Promise<void> | undefined;
  private readonly idle: LayerWriter[] = [];
  private readonly all: LayerWriter[] = [];

  constructor(idmap: IdMap, lanes: number) {
    this.idmap = idmap;
    // tsctr-unpack serves at most 16 lanes.
    this.lanes = Math.min(16, Math.max(1, lanes));
  }

  async acquire(): Promise<LayerWriter> {
    this.starting ??= LayerWriter.startLanes(this.idmap, this.lanes).then((lanes) => {
      this.all.push(...lanes);
      this.idle.push(...lanes);
    });
    await this.starting;
    // A lane can break while idle (its process died): skip it.
    let idle;
    while ((idle = this.idle.pop()) && idle.broken);
    if (idle) return idle;
    const own = await LayerWriter.start(this.idmap);
    this.all.push(own);
    return own;
  }

  release(w: LayerWriter): void {
    if (!w.broken && w.inStep) this.idle.push(w);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.close()));
  }
}
