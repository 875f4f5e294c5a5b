/**
 * Turns one layer blob into a layer directory: sniff the compression, hash the compressed and
 * the uncompressed stream, parse the tar with node-tar's Parser, and send each entry to the
 * layer writer. Docker's whiteouts become overlayfs's: `.wh.NAME` a 0/0 character device,
 * `.wh..wh..opq` the `user.overlay.opaque` xattr on its directory.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { TsctrError } from '../errors.ts';
import { Op, type LayerWriter, type EntryMeta } from './layer-writer.ts';
import { decompressor } from './decompress.ts';

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

function hashTap(hash: Hash, count?: { n: number }, limit = Infinity): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      if (count) count.n += chunk.length;
      // Stop a registry that sends more than the manifest declared before it fills the disk.
      if (count && count.n > limit) {
        return done(
          new TsctrError(`the registry sent more than the ${limit} bytes the manifest declares`),
        );
      }
      done(null, chunk);
    },
  });
}

/** Copies the stream as received into `fd` (the blob kept for push and save); -1: none. */
function fileTap(fd: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
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

/** Normalises an entry path; refuses one that climbs out of the layer (docker: breakout). */
export function layerPath(raw: string): string {
  const norm = posix.normalize(raw.replace(/^\/+/, '')).replace(/\/$/, '');
  if (norm === '..' || norm.startsWith('../')) {
    throw new TsctrError(`layer entry ${JSON.stringify(raw)} points outside the layer`, {
      hint: 'the image is malformed or hostile; nothing of it was stored',
    });
  }
  return norm === '.' ? '' : norm;
}

function metaOf(e: ReadEntry): EntryMeta {
  return {
    mode: e.mode ?? 0o644,
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    mtime: e.mtime ?? new Date(0),
  };
}

async function sendEntry(w: LayerWriter, e: ReadEntry): Promise<void> {
  const path = layerPath(e.path);
  const base = posix.basename(path);
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  if (base.startsWith(WH_PREFIX)) {
    e.resume();
    if (base === WH_OPAQUE) return w.record(Op.Opaque, dir);
    // Other .wh..wh.* names are aufs bookkeeping (hard-link dirs); overlay has no use for them.
    if (base.startsWith(WH_PREFIX + WH_PREFIX)) return;
    return w.record(Op.Whiteout, posix.join(dir, base.slice(WH_PREFIX.length)));
  }
  const meta = metaOf(e);
  switch (e.type) {
    case 'Directory':
      e.resume();
      return w.record(Op.Dir, path, '', meta);
    case 'File':
    case 'OldFile':
    case 'ContiguousFile': {
      await w.record(Op.File, path, '', meta, e.size ?? 0);
      for await (const chunk of e as AsyncIterable<Buffer>) await w.write(chunk);
      return;
    }
    case 'SymbolicLink':
      e.resume();
      return w.record(Op.Symlink, path, e.linkpath ?? '', meta);
    case 'Link':
      e.resume();
      return w.record(Op.Hardlink, path, layerPath(e.linkpath ?? ''), meta);
    case 'FIFO':
      e.resume();
      return w.record(Op.Fifo, path, '', meta);
    default:
      // Device nodes cannot be created in a user namespace; podman skips them too.
      e.resume();
  }
}

/**
 * Unpacks `blob` into `dir` (which must exist and be empty) through the writer. Resolves with
 * the digests once the writer has synced the layer; the caller verifies them and commits.
 */
export async function unpackLayer(
  blob: Readable,
  dir: string,
  w: LayerWriter,
  expectedSize = Infinity,
  blobFile?: string,
): Promise<UnpackResult> {
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  const count = { n: 0 };
  const received = { n: 0 };
  await w.record(Op.Begin, dir);

  // node-tar's Parser emits entries one at a time; each handler is chained so records reach the
  // writer in tar order, and the parser is paused while an entry's data is being written.
  let chain: Promise<void> = Promise.resolve();
  const parser = new Parser({ strict: true });
  parser.on('entry', (e: ReadEntry) => {
    e.pause();
    chain = chain.then(() => sendEntry(w, e));
    chain.catch((err: unknown) => parser.abort(err as Error));
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.on('abort', reject);
  });
  // When the pipeline fails first, the parser's own failure that follows is the same error.
  done.catch(() => undefined);
  const blobFd = blobFile === undefined ? -1 : openSync(blobFile, 'w', 0o644);
  try {
    await pipeline(
      blob,
      hashTap(blobHash, received, expectedSize),
      fileTap(blobFd),
      decompressor(),
      hashTap(tarHash, count),
      parser as never,
    );
  } catch (err) {
    throw wrapCorrupt(err);
  } finally {
    if (blobFd >= 0) closeSync(blobFd);
  }
  await done.catch((err) => {
    throw wrapCorrupt(err);
  });
  await chain;
  if (Number.isFinite(expectedSize) && received.n !== expectedSize) {
    throw new TsctrError(
      `the registry sent ${received.n} bytes, the manifest declares ${expectedSize}`,
    );
  }
  await w.end();
  return {
    digest: `sha256:${blobHash.digest('hex')}`,
    diffId: `sha256:${tarHash.digest('hex')}`,
    size: count.n,
  };
}

function wrapCorrupt(err: unknown): Error {
  if (err instanceof TsctrError) return err;
  return new TsctrError(`layer data is corrupt: ${(err as Error).message}`, {
    cause: err,
    hint: 'the download was truncated or the registry served a damaged blob; pull again',
  });
}
