/**
 * Turns one layer blob into a layer directory: sniff the compression, hash the compressed and
 * the uncompressed stream, parse the tar (tar-reader.ts), and stage a writer record for each
 * entry. Docker's whiteouts become overlayfs's: `.wh.NAME` a 0/0 character device,
 * `.wh..wh..opq` the `user.overlay.opaque` xattr on its directory. An entry that cannot be
 * stored fails the layer with a LayerEntryError that names it (layer-refusal.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TsctrError } from '../errors.ts';
import { LayerWriteError, Op, type LayerWriter } from './layer-writer.ts';
import { decompressor } from './decompress.ts';
import { TarReader, type TarEntry, type TarSink } from './tar-reader.ts';
import { checkOwner, entryWriteError, outsideLayer, type LayerLinks } from './layer-refusal.ts';

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

/**
 * Normalises an entry path, or the path a hard link names (`link`, of the entry `raw`); refuses
 * one that climbs out of the layer (docker: breakout). A leading slash is dropped: docker's
 * archive package joins both to the layer's root.
 */
export function layerPath(raw: string, link?: string): string {
  let p = link ?? raw;
  while (p.startsWith('./')) p = p.slice(2);
  if (!UNUSUAL.test(p)) return p.endsWith('/') ? p.slice(0, -1) : p;
  const norm = posix.normalize(p.replace(/^\/+/, '')).replace(/\/$/, '');
  if (norm === '..' || norm.startsWith('../')) throw outsideLayer(raw, link);
  return norm === '.' ? '' : norm;
}

/** The ops whose failure is one entry's (the writer names the entry's path). */
const ENTRY_OPS = new Set(['dir', 'file', 'symlink', 'hardlink', 'fifo', 'whiteout', 'opaque']);

/** The kinds whose owner the writer applies. */
const OWNED = new Set<TarEntry['kind']>(['file', 'dir', 'symlink', 'fifo']);

/** Maps tar entries to writer records. */
class LayerSink implements TarSink {
  private readonly w: LayerWriter;
  /** The layer's links so far, to explain a write that fails through or at one. */
  private readonly links: LayerLinks = { symlinks: new Map(), hardlinks: new Map() };

  constructor(w: LayerWriter) {
    this.w = w;
  }

  /** A writer failure in words: the entry and its cause, when it was one entry's. */
  explain(err: unknown): unknown {
    if (!(err instanceof LayerWriteError) || !ENTRY_OPS.has(err.op)) return err;
    return entryWriteError(err, this.links);
  }

  entry(e: TarEntry): boolean {
    const w = this.w;
    const path = layerPath(e.path);
    // A later entry replaces an earlier one of the same name, links included.
    if (this.links.symlinks.size) this.links.symlinks.delete(path);
    if (this.links.hardlinks.size) this.links.hardlinks.delete(path);
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
    // Where the writer applies the owner (not to whiteouts, which are 0/0, to hard links, whose
    // inode is their target's, nor to skipped devices), it must be one the user namespace
    // maps: chown(2) fails with EINVAL otherwise.
    if ((e.uid !== 0 || e.gid !== 0) && OWNED.has(e.kind)) {
      checkOwner(e.path, path, e.uid, e.gid, w.idmap);
    }
    switch (e.kind) {
      case 'file':
        w.entry(Op.File, path, '', e, e.size);
        return true;
      case 'dir':
        w.entry(Op.Dir, path, '', e);
        return false;
      case 'symlink':
        this.links.symlinks.set(path, e.linkpath);
        w.entry(Op.Symlink, path, e.linkpath, e);
        return false;
      case 'hardlink':
        // "/bin/busybox" names the layer's own bin/busybox (layerPath).
        this.links.hardlinks.set(path, e.linkpath);
        w.entry(Op.Hardlink, path, layerPath(e.path, e.linkpath), e);
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
    throw wrapCorrupt(sink.explain(err));
  } finally {
    if (blobFd >= 0) closeSync(blobFd);
  }
  if (Number.isFinite(expectedSize) && received.n !== expectedSize) {
    throw new TsctrError(
      `the registry sent ${received.n} bytes, the manifest declares ${expectedSize}`,
    );
  }
  // The writer reports a failed record whenever it comes to it: after the last chunk, the
  // failure of one of its entries may arrive only now.
  await w.end(opts.sync).catch((err: unknown) => {
    throw sink.explain(err);
  });
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
