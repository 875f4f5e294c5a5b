/**
 * A client of a container's monitor (the frame protocol of native/monitor/io.h): the foreground
 * `run`/`start -a` from the container's first moment, or `attach` later. It copies the
 * container's output to the streams the command hands over, its input (with docker's detach
 * keys) to the container, and the terminal's size changes.
 */
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError, fromSystemError } from '../errors.ts';
import { native } from '../native/loader.ts';
import {
  attachSocketPath,
  readExit,
  readState,
  reconcile,
  sameProcess,
} from '../storage/containers.ts';
import { lookupContainer, noSuchContainer } from './inspect.ts';
import { isPaused } from './processes.ts';
import { SignalForwarder } from './signals.ts';
import type { MonitorHandle } from './monitor.ts';

const Frame = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  Exit: 3,
  StdinEnd: 4,
  Resize: 5,
  OutputClosed: 6,
} as const;

export interface TerminalSize {
  rows: number;
  cols: number;
}

/** What the command hands a client: never the process's streams directly (they are the shell's). */
export interface AttachIo {
  /** Sent to the container's stdin (when it has one). */
  stdin?: Readable | undefined;
  stdout: Writable;
  stderr: Writable;
  /** With a container's terminal: the CLI terminal's size now, and its changes. */
  terminal?: { size(): TerminalSize | undefined; onResize(cb: () => void): () => void } | undefined;
  /** The bytes that detach (docker's ctrl-p,ctrl-q), checked on a terminal's input only. */
  detachKeys?: Buffer | undefined;
}

export type AttachEnd =
  | { kind: 'exit'; code: number; signal: number }
  | { kind: 'detached' }
  /** The monitor went away without an exit (killed), or the output could not be written. */
  | { kind: 'closed' };

/** docker's default detach keys: Ctrl-P Ctrl-Q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** docker's detach-key syntax: letters, or ctrl- with a-z @ [ \ ] ^ _, comma-separated. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    const ctrl = /^ctrl-(.)$/.exec(k);
    if (ctrl) {
      const c = ctrl[1]!;
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if ('@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
      else out.push(-1);
    } else if (k.length === 1) {
      out.push(k.charCodeAt(0));
    } else {
      out.push(-1);
    }
    if (out.at(-1)! < 0 || out.at(-1)! > 127) {
      throw new TsctrError(`Invalid detach keys (${spec}) provided`, {
        hint: 'give keys such as ctrl-p,ctrl-q, ctrl-a or a single letter, comma-separated',
      });
    }
  }
  return Buffer.from(out);
}

/**
 * Watches input for the detach sequence as docker's escape proxy does: bytes that may begin it
 * are held back until they do or do not complete it, then forwarded or swallowed.
 */
export function detachScanner(
  keys: Buffer,
): (chunk: Buffer) => { forward: Buffer; detach: boolean } {
  let held = 0; // how many leading bytes of `keys` the input has matched so far
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === keys[held]) {
        held++;
        if (held === keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      for (let i = 0; i < held; i++) out.push(keys[i]!);
      held = b === keys[0] ? 1 : 0;
      if (held === 0) out.push(b);
      else if (held === keys.length) return { forward: Buffer.from(out), detach: true };
    }
    return { forward: Buffer.from(out), detach: false };
  };
}

function frame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Follows one client connection until the container exits, the user detaches, or it breaks. */
export function runAttachSession(sock: Socket, io: AttachIo): Promise<AttachEnd> {
  return new Promise((resolve) => {
    let end: AttachEnd | undefined;
    let rx: Buffer = Buffer.alloc(0);
    const cleanups: (() => void)[] = [];
    const finish = (e: AttachEnd) => {
      end ??= e;
      for (const c of cleanups.splice(0)) c();
      // end(), not destroy(): input typed just before the detach keys is still delivered.
      if (e.kind === 'detached') sock.end();
      else if (!sock.destroyed) sock.destroy();
    };
    const send = (b: Buffer) => {
      if (!sock.destroyed && sock.writable) sock.write(b);
    };

    const broken = new Set<number>();
    const outputError = (stream: 1 | 2) => () => {
      // A reader that went away (`tsctr run img yes | head -1`): the container's stream is
      // closed too, so its next write fails as it would have on the pipe itself.
      broken.add(stream);
      send(frame(Frame.OutputClosed, Buffer.from([stream])));
      sock.resume(); // a 'drain' will not come
    };
    const onOutErr = outputError(1);
    const onErrErr = outputError(2);
    io.stdout.on('error', onOutErr);
    io.stderr.on('error', onErrErr);
    cleanups.push(() => {
      io.stdout.off('error', onOutErr);
      io.stderr.off('error', onErrErr);
    });

    sock.on('data', (chunk: Buffer) => {
      rx = rx.length ? Buffer.concat([rx, chunk]) : chunk;
      let pos = 0;
      while (rx.length - pos >= 5) {
        const len = rx.readUInt32BE(pos + 1);
        if (rx.length - pos - 5 < len) break;
        const type = rx[pos]!;
        const body = rx.subarray(pos + 5, pos + 5 + len);
        pos += 5 + len;
        if (type === Frame.Stdout || type === Frame.Stderr) {
          const w = type === Frame.Stdout ? io.stdout : io.stderr;
          if (!broken.has(type) && w.writable && !w.write(body)) {
            sock.pause();
            w.once('drain', () => sock.resume());
          }
        } else if (type === Frame.Exit) {
          const [code, signal] = body.toString().split(' ').map(Number);
          end ??= { kind: 'exit', code: code ?? 0, signal: signal ?? 0 };
        }
      }
      rx = rx.subarray(pos);
    });
    sock.on('error', () => finish({ kind: 'closed' }));
    sock.on('close', () => finish(end ?? { kind: 'closed' }));
    sock.on('close', () => resolve(end ?? { kind: 'closed' }));

    if (io.terminal) {
      const sendSize = () => {
        const s = io.terminal!.size();
        if (!s || !s.rows || !s.cols) return;
        const b = Buffer.alloc(4);
        b.writeUInt16BE(Math.min(s.rows, 65535), 0);
        b.writeUInt16BE(Math.min(s.cols, 65535), 2);
        send(frame(Frame.Resize, b));
      };
      sendSize();
      cleanups.push(io.terminal.onResize(sendSize));
    }

    const input = io.stdin;
    if (input) {
      const scan = io.detachKeys?.length ? detachScanner(io.detachKeys) : undefined;
      const onData = (chunk: Buffer) => {
        const r = scan ? scan(chunk) : { forward: chunk, detach: false };
        if (r.forward.length) send(frame(Frame.Stdin, r.forward));
        if (r.detach) finish({ kind: 'detached' });
      };
      const onEnd = () => send(frame(Frame.StdinEnd));
      input.on('data', onData);
      input.on('end', onEnd);
      // An input that fails (a terminal hung up) ends like one at its end, instead of an
      // 'error' no one listens to, which would crash the CLI with a stack.
      input.on('error', onEnd);
      cleanups.push(() => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('error', onEnd);
        input.pause();
      });
    }
  });
}

/**
 * Follows a monitor (or an exec helper) whose first client is `client`: its output to `io`
 * until the exit, which is returned as docker's code; 0 when the user detached first (the
 * monitor then goes on alone). `started` gets the process's pid once it runs.
 */
export async function followWithClient(
  monitor: MonitorHandle,
  client: Socket,
  io: AttachIo,
  on: { started(pid: number): void; warning?(text: string): void },
): Promise<number> {
  let session: Promise<AttachEnd> | undefined = runAttachSession(client, io);
  const ended = session;
  let exitCode: number | undefined;
  try {
    // One pending read of the status pipe at a time: a second next() would queue behind it.
    let pending: ReturnType<typeof monitor.events.next> | undefined;
    for (;;) {
      pending ??= monitor.events.next();
      const next = await Promise.race([
        pending,
        ...(session ? [session.then((end) => ({ end }))] : []),
      ]);
      if ('end' in next) {
        if (next.end.kind === 'detached') {
          monitor.detach();
          return 0;
        }
        session = undefined; // the exit (or its absence) comes on the status pipe
        continue;
      }
      pending = undefined;
      if (next.done) break;
      const ev = next.value;
      if (ev.kind === 'started') on.started(ev.pid);
      else if (ev.kind === 'warning') on.warning?.(ev.text);
      else if (ev.kind === 'exited') {
        exitCode = ev.signal ? 128 + ev.signal : ev.code;
        break;
      }
    }
    if (exitCode === undefined) {
      throw new TsctrError('the container monitor ended without reporting an exit status');
    }
    // All the output is written before the CLI exits with the process's code.
    await ended;
    return exitCode;
  } finally {
    if (!client.destroyed) client.destroy();
    if (exitCode !== undefined) monitor.reap();
  }
}

/** What the shell builds a container's streams from, once the container is known. */
export type AttachIoFactory = (c: { tty: boolean; openStdin: boolean }) => AttachIo;

/** Sets or clears OPOST on the CLI's terminal (native: libuv's raw mode leaves it on). */
export function setOutputProcessing(fd: number, on: boolean): void {
  native().setOutputProcessing(fd, on);
}

/** Connects to a monitor's attach socket, through /proc/self/fd when the path is too long. */
export async function connectMonitor(path: string): Promise<Socket> {
  const { createConnection } = await import('node:net');
  let dirFd = -1;
  let target = path;
  if (Buffer.byteLength(path) > 100) {
    dirFd = openSync(dirname(path), 'r');
    target = `/proc/self/fd/${dirFd}/${basename(path)}`;
  }
  try {
    return await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(target);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  } finally {
    if (dirFd >= 0) closeSync(dirFd);
  }
}

/**
 * docker attach: the CLI's streams to a running container's until it exits (its exit code) or
 * the user detaches (0). With sig-proxy and no terminal, the CLI's signals go to the container.
 */
export async function attachContainer(
  paths: StatePaths,
  input: string,
  makeIo: AttachIoFactory,
  opts: { sigProxy: boolean },
): Promise<number> {
  const c = lookupContainer(paths, input);
  if (!c) throw noSuchContainer(input);
  reconcile(paths, c.id);
  const st = readState(paths, c.id);
  if (readExit(paths, c.id) || !st || !sameProcess(st.pid, st.pidStart)) {
    throw new TsctrError('You cannot attach to a stopped container, start it first', {
      exitCode: 1,
      hint: `tsctr start -a ${c.name}`,
    });
  }
  if (isPaused(paths, c.id)) {
    throw new TsctrError('You cannot attach to a paused container, unpause it first', {
      exitCode: 1,
      hint: `tsctr unpause ${c.name}`,
    });
  }
  let sock: Socket;
  try {
    sock = await connectMonitor(attachSocketPath(paths, c.id));
  } catch (err) {
    throw fromSystemError(
      `attaching to ${c.name}`,
      err,
      'a container started by an older tsctr cannot be attached to; restart it',
    );
  }
  const io = makeIo({ tty: !!c.config.Tty, openStdin: !!c.config.OpenStdin });
  const signals = opts.sigProxy && !c.config.Tty ? new SignalForwarder({ init: true }) : undefined;
  signals?.started(st.pid);
  try {
    const end = await runAttachSession(sock, io);
    if (end.kind === 'exit') return end.signal ? 128 + end.signal : end.code;
    if (end.kind === 'detached') return 0;
    // The monitor went away without saying: what it recorded, if anything.
    reconcile(paths, c.id);
    const ex = readExit(paths, c.id);
    return ex ? (ex.signal ? 128 + ex.signal : ex.code) : 0;
  } finally {
    signals?.dispose();
  }
}
