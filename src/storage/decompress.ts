/**
 * Undoes a stream's compression, detected from its first bytes as docker does (whatever a media
 * type or file name says): gzip (1f 8b) and zstd (28 b5 2f fd) with Node's zlib; xz (fd 37 7a 58
 * 5a 00) and bzip2 ("BZh") through the system's `xz` and `bzip2` programs, as docker runs `xz`;
 * otherwise the bytes as they are. `inspect` sees the first bytes first and may refuse the
 * stream (an empty archive).
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { TsctrError } from '../errors.ts';

const CHUNK = 128 * 1024;

type Method = 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'none';

function methodOf(head: Buffer): Method {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  if (head.length >= 4 && head.toString('latin1', 0, 3) === 'BZh' && head[3]! >= 0x31)
    return 'bzip2';
  return 'none';
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** Debian's package names, for the hint when a program is missing. */
const PACKAGES: Record<string, string> = { xz: 'xz-utils', bzip2: 'bzip2' };

export function decompressor(inspect?: (head: Buffer) => void) {
  return async function* decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const it = source[Symbol.asyncIterator]();
    let head = Buffer.alloc(0);
    while (head.length < 6) {
      const n = await it.next();
      if (n.done) break;
      head = Buffer.concat([head, n.value]);
    }
    inspect?.(head);
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    }
    const method = methodOf(head);
    // Output chunks of 128 KiB rather than zlib's 16 KiB: a quarter less CPU per layer, most of
    // it per-chunk overhead downstream (hashing, parsing, callbacks).
    if (method === 'gzip') yield* through(rest(), zlib.createGunzip({ chunkSize: CHUNK }));
    else if (method === 'zstd')
      yield* through(rest(), zlib.createZstdDecompress({ chunkSize: CHUNK }));
    else if (method === 'xz' || method === 'bzip2') yield* throughProgram(rest(), method);
    else yield* rest();
  };
}

async function* through(src: AsyncIterable<Buffer>, inner: Transform): AsyncGenerator<Buffer> {
  const feeding = pipeline(Readable.from(src), inner);
  feeding.catch(() => undefined); // surfaced through the iteration below
  yield* inner as AsyncIterable<Buffer>;
  await feeding;
}

/**
 * `program -dcq` as a filter. Its exit status is awaited before the stream is declared
 * complete, so damaged input ends in an error even when the program wrote some output first.
 */
async function* throughProgram(
  src: AsyncIterable<Buffer>,
  program: 'xz' | 'bzip2',
): AsyncGenerator<Buffer> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(program, ['-dcq'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  exited.catch(() => undefined);
  // Fails with EPIPE when the program stops reading (damaged input): its own message says why.
  const feeding = pipeline(Readable.from(src), child.stdin);
  feeding.catch(() => undefined);
  let finished = false;
  try {
    yield* child.stdout as AsyncIterable<Buffer>;
    const status = await exited.catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      throw new TsctrError(`reading ${program}-compressed data needs the ${program} program`, {
        hint: `install it (Debian and Ubuntu: apt install ${PACKAGES[program]})`,
      });
    });
    if (status !== 0) {
      // Its message names itself ("xz: (stdin): Unexpected end of input").
      throw new Error(stderr.trim() || `${program}: exit status ${status}`);
    }
    await feeding;
    finished = true;
  } finally {
    // The consumer stopped early or failed: the program must not outlive the stream.
    if (!finished && child.exitCode === null) child.kill();
  }
}
