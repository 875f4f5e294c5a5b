/**
 * Undoes a stream's compression, detected from its first bytes as docker does (whatever a media
 * type or file name says): gzip (1f 8b) and zstd (28 b5 2f fd) with Node's zlib; xz (fd 37 7a 58
 * 5a 00) and bzip2 ("BZh") through the system's `xz` and `bzip2` programs, as docker runs `xz`;
 * otherwise the bytes as they are. `inspect` sees the first bytes first and may refuse the
 * stream (an empty archive).
 */
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { filterThrough, lastLines } from '../host/exec.ts';

const CHUNK = 128 * 1024;

/**
 * xz or bzip2 exited non-zero: mostly damaged input, so the caller says which data (an archive,
 * a layer) and what to do, as it does for a malformed tar (TarFormatError).
 */
export class DecompressError extends Error {
  readonly program: string;
  constructor(message: string, program: string, options?: ErrorOptions) {
    super(message, options);
    this.program = program;
  }
}

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
 * `program -dcq` as a filter. A non-zero exit is a DecompressError carrying the program's own
 * message ("xz: (stdin): Unexpected end of input"); a missing program, a signal, a program that
 * cannot be started are TsctrErrors that say what to do.
 */
function throughProgram(
  src: AsyncIterable<Buffer>,
  program: 'xz' | 'bzip2',
): AsyncGenerator<Buffer> {
  return filterThrough(
    {
      file: program,
      args: ['-dcq'],
      purpose: `reading ${program}-compressed data`,
      package: PACKAGES[program],
    },
    src,
    {
      explain: (f) => {
        if (f.kind !== 'exit') return undefined;
        const status = `\`${f.command}\` exited with status ${f.exitCode}`;
        const said = lastLines(f.stderr);
        // Prefixed as the programs prefix their own messages (bzip2 -q can exit 2 silently).
        return new DecompressError(
          said ? `${said} (${status})` : `${program}: ${status}`,
          program,
          {
            cause: f,
          },
        );
      },
    },
  );
}
