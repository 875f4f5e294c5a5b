/**
 * Undoes a stream's compression, detected from its first bytes as docker does (whatever a media
 * type or file name says): gzip (1f 8b), zstd (28 b5 2f fd), otherwise the bytes as they are.
 * `inspect` sees the first bytes first and may refuse the stream (an empty archive, xz).
 */
import { PassThrough, Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

const CHUNK = 128 * 1024;

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
    let inner: Transform;
    // Output chunks of 128 KiB rather than zlib's 16 KiB: a quarter less CPU per layer, most of
    // it per-chunk overhead downstream (hashing, parsing, callbacks).
    if (head[0] === 0x1f && head[1] === 0x8b) inner = zlib.createGunzip({ chunkSize: CHUNK });
    else if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528)
      inner = zlib.createZstdDecompress({ chunkSize: CHUNK });
    else inner = new PassThrough();
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    }
    const feeding = pipeline(Readable.from(rest()), inner);
    feeding.catch(() => undefined); // surfaced through the iteration below
    yield* inner as AsyncIterable<Buffer>;
    await feeding;
  };
}
