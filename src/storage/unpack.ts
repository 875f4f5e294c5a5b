/**
 * Turns one layer blob into a layer directory: sniff the compression, hash the compressed and
 * the uncompressed stream, parse the tar (tar-reader.ts), and stage a writer record for each
 * entry. Docker's whiteouts become overlayfs's: `.wh.NAME` a 0/0 character device,
 * `.wh..wh..opq` the `user.overlay.opaque` xattr on its directory.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TsctrError } from '../errors.ts';
import { Op, type LayerWriter } from './layer-writer.ts';
import { decompressor } from './decompress.ts';
import { TarReader, type TarEntry, type TarSink } from './tar-reader.ts';

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

export interface UnpackResult {
  /** sha256 of the blob as received (the manifest's layer digest). */
  digest: string;
  /** sha256 of the uncompressed tar (the config's diff_id). */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

/**
 * The blob as received: hashed, counted against the size the manifest declares (a registry
 * that sends more is stopped before it fills the disk), and copied into `fd` (the blob kept for
 * push and save; -1: none).
 */
function receivedTap(hash: Hash, count: { n: number }, limit: number, fd: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      count.n += chunk.length;
      if (count.n > limit) {
        return done(
          new TsctrError(`the registry sent more than the ${limit} bytes the manifest declares`),
        );
      }
      try {
        let off = fd < 0 ? chunk.length : 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off);
      } catch (err) {
        return done(err as Error);
      }
      done(null, chunk);
    },
  });
}

// Paths as layers store them ("usr/bin/x", "./usr/bin/x") need no normalising; anything with an
// empty, "." or ".." component, or a leading slash, takes the slow path.
const UNUSUAL = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\//;

/** Normalises an entry path; refuses one that climbs out of the layer (docker: breakout). */
export function layerPath(raw: string): string {
  let p = raw;
  while (p.startsWith('./')) p = p.slice(2);
  if (!UNUSUAL.test(p)) return p.endsWith('/') ? p.slice(0, -1) : p;
  const norm = posix.normalize(raw.replace(/^\/+/, '')).replace(/\/$/, '');
  if (norm === '..' || norm.startsWith('../')) {
    throw new TsctrError(`layer entry ${JSON.stringify(raw)} points outside the layer`, {
      hint: 'the image is malformed or hostile; nothing of it was stored',
    });
  }
  return norm === '.' ? '' : norm;
}

const validId = (id: number) => id >= 0 && id <= 0xfffffffe;

/** Maps tar entries to writer records. */
class LayerSink implements TarSink {
  private readonly w: LayerWriter;

  constructor(w: LayerWriter) {
    this.w = w;
  }

  entry(e: TarEntry): boolean {
    const w = this.w;
    const path = layerPath(e.path);
    if (!validId(e.uid) || !validId(e.gid)) {
      throw new TsctrError(`layer entry ${JSON.stringify(e.path)} has owner ${e.uid}:${e.gid}`, {
        hint: 'user and group ids are 32-bit; the image is malformed or hostile',
      });
    }
    const slash = path.lastIndexOf('/');
    const base = slash < 0 ? path : path.slice(slash + 1);
    if (base.startsWith(WH_PREFIX)) {
      const dir = slash < 0 ? '' : path.slice(0, slash + 1);
      if (base === WH_OPAQUE) w.entry(Op.Opaque, dir.slice(0, -1));
      // Other .wh..wh.* names are aufs bookkeeping (hard-link dirs); overlay has no use for them.
      else if (!base.startsWith(WH_PREFIX + WH_PREFIX))
        w.entry(Op.Whiteout, dir + base.slice(WH_PREFIX.length));
      return false;
    }
    switch (e.kind) {
      case 'file':
        w.entry(Op.File, path, '', e, e.size);
        return true;
      case 'dir':
        w.entry(Op.Dir, path, '', e);
        return false;
      case 'symlink':
        w.entry(Op.Symlink, path, e.linkpath, e);
        return false;
      case 'hardlink':
        w.entry(Op.Hardlink, path, layerPath(e.linkpath), e);
        return false;
      case 'fifo':
        w.entry(Op.Fifo, path, '', e);
        return false;
      default:
        // Device nodes cannot be created in a user namespace; podman skips them too.
        return false;
    }
  }

  data(chunk: Buffer): void {
    this.w.data(chunk);
  }
}

/**
 * Unpacks `blob` into `dir` (which must exist and be empty) through the writer. Resolves with
 * the digests once the writer has written the layer (and synced it, with `sync`); the caller
 * verifies them and commits.
 */
export async function unpackLayer(
  blob: Readable,
  dir: string,
  w: LayerWriter,
  opts: { expectedSize?: number; blobFile?: string; sync: boolean },
): Promise<UnpackResult> {
  const { expectedSize = Infinity, blobFile } = opts;
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  let tarBytes = 0;
  const received = { n: 0 };
  await w.record(Op.Begin, dir);
  const reader = new TarReader();
  const sink = new LayerSink(w);
  const blobFd = blobFile === undefined ? -1 : openSync(blobFile, 'w', 0o644);
  try {
    await pipeline(
      blob,
      receivedTap(blobHash, received, expectedSize, blobFd),
      decompressor(),
      async (tar: AsyncIterable<Buffer>) => {
        // Each chunk's records go out together; the next chunk is read once the writer keeps up.
        for await (const chunk of tar) {
          tarHash.update(chunk);
          tarBytes += chunk.length;
          reader.push(chunk, sink);
          await w.flush();
        }
        reader.end();
      },
    );
  } catch (err) {
    throw wrapCorrupt(err);
  } finally {
    if (blobFd >= 0) closeSync(blobFd);
  }
  if (Number.isFinite(expectedSize) && received.n !== expectedSize) {
    throw new TsctrError(
      `the registry sent ${received.n} bytes, the manifest declares ${expectedSize}`,
    );
  }
  await w.end(opts.sync);
  return {
    digest: `sha256:${blobHash.digest('hex')}`,
    diffId: `sha256:${tarHash.digest('hex')}`,
    size: tarBytes,
  };
}

function wrapCorrupt(err: unknown): Error {
  if (err instanceof TsctrError) return err;
  return new TsctrError(`layer data is corrupt: ${(err as Error).message}`, {
    cause: err,
    hint: 'the download was truncated or the registry served a damaged blob; pull again',
  });
}
