/**
 * Unpacks the outer tar of an image archive (docker save, podman save, tsctr save) into a work
 * directory, reading it once as a stream (stdin cannot be seeked). The members are plain files
 * owned by the user: documents and blobs, which load verifies and imports afterwards.
 *
 * Hostile input: a member whose path climbs out of the archive is refused. Links are never
 * created on disk; they are kept in a table and followed by `resolve` inside the archive only
 * (docker's older save writes a layer shared by two images as a symlink to the first copy).
 * Devices, fifos and other types are ignored. gzip, zstd, xz and bzip2 archives are
 * decompressed, as `docker load` accepts compressed ones.
 */
import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarReader, type TarEntry, type TarSink } from '../storage/tar-reader.ts';
import { TsctrError, fromSystemError } from '../errors.ts';
import { DecompressError, decompressor } from '../storage/decompress.ts';

const MAX_LINK_HOPS = 16;

export interface ExtractedArchive {
  root: string;
  /** The extracted regular file an archive path names (links followed), or undefined. */
  resolve(path: string): string | undefined;
}

function outside(raw: string): TsctrError {
  return new TsctrError(`archive entry ${JSON.stringify(raw)} points outside the archive`, {
    hint: 'the archive is malformed or hostile; nothing was loaded',
  });
}

/** Normalises a member path ("./a//b/" → "a/b"); refuses one that climbs out. */
export function archivePath(raw: string, base = ''): string {
  const joined = raw.startsWith('/') ? raw : posix.join(base, raw);
  const norm = posix.normalize(joined.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) throw outside(raw);
  return norm === '.' ? '' : norm;
}

function damaged(err: unknown): TsctrError {
  if (err instanceof TsctrError) return err;
  const complete =
    'check that the file is complete (docker save, podman save or tsctr save output)';
  // xz and bzip2 test a file without tsctr: that tells damaged data from a program that fails.
  const test = err instanceof DecompressError ? `; \`${err.program} -t FILE\` tests it` : '';
  return new TsctrError(`the archive is truncated or damaged: ${(err as Error).message}`, {
    cause: err,
    hint: `nothing was loaded; ${complete}${test}`,
  });
}

/** Refuses what load cannot read, before decompression starts. */
function checkArchiveHead(head: Buffer): void {
  if (head.length === 0) {
    throw new TsctrError('the archive is empty', {
      hint: 'give an archive written by docker save, podman save or tsctr save (-i FILE or stdin)',
    });
  }
}

type Link = { kind: 'hard'; target: string } | { kind: 'sym'; target: string };

/** Extracts `input` into `root` (an empty directory). */
export async function extractArchive(input: Readable, root: string): Promise<ExtractedArchive> {
  const links = new Map<string, Link>();
  let fd = -1;
  const closeFile = () => {
    if (fd >= 0) closeSync(fd);
    fd = -1;
  };
  const sink: TarSink = {
    entry(e: TarEntry): boolean {
      closeFile();
      const path = archivePath(e.path);
      if (!path) return false;
      links.delete(path);
      const target = join(root, path);
      switch (e.kind) {
        case 'dir':
          mkdirSync(target, { recursive: true, mode: 0o755 });
          return false;
        case 'file':
          mkdirSync(posix.dirname(target), { recursive: true, mode: 0o755 });
          // A later member of the same name replaces the earlier one, as tar does.
          fd = openSync(target, 'w', 0o644);
          return true;
        case 'hardlink':
          links.set(path, { kind: 'hard', target: archivePath(e.linkpath) });
          return false;
        case 'symlink':
          // Checked now, so a link that climbs out fails the load even if nothing uses it.
          archivePath(e.linkpath, posix.dirname(path));
          links.set(path, { kind: 'sym', target: e.linkpath });
          return false;
        default:
          return false;
      }
    },
    data(chunk: Buffer): void {
      for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
    },
  };
  const reader = new TarReader();
  try {
    await pipeline(input, decompressor(checkArchiveHead), async (tar: AsyncIterable<Buffer>) => {
      for await (const chunk of tar) reader.push(chunk, sink);
      reader.end();
    });
  } catch (err) {
    throw damaged(err);
  } finally {
    closeFile();
  }

  return {
    root,
    resolve(raw: string): string | undefined {
      let path = archivePath(raw);
      for (let hops = 0; ; hops++) {
        const link = links.get(path);
        if (!link) break;
        if (hops >= MAX_LINK_HOPS) return undefined;
        path = link.kind === 'hard' ? link.target : archivePath(link.target, posix.dirname(path));
      }
      const file = join(root, path);
      try {
        return statSync(file).isFile() ? file : undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw fromSystemError(`cannot read ${raw} from the archive`, err);
      }
    },
  };
}
