/**
 * Why a layer's entry cannot be stored, in words a user can act on. These are refusals of the
 * image's content, not of its transfer: pulling again does not help, so pull and load word them
 * apart from a damaged download (LayerFailures.refused in src/images/layer-import.ts).
 *
 * The cases, and what docker and podman do with them:
 *   - an owner outside the user namespace: podman's "potentially insufficient UIDs or GIDs";
 *   - an owner that is no id at all (negative, 2^32-1 and above): refused;
 *   - a path that climbs out of the layer: docker's breakout error;
 *   - a write through a symbolic link of the layer to somewhere the layer does not hold, and a
 *     hard link to a file the layer does not hold: docker and podman unpack each layer into a
 *     directory of its own, as tsctr does, and fail both with "no such file or directory".
 */
import { TsctrError } from '../errors.ts';
import type { IdMap, IdRange } from '../userns/idmap.ts';
import type { LayerWriteError } from './layer-writer.ts';

/** The layer's content is at fault; `hint` says what about it. */
export class LayerEntryError extends TsctrError {}

const MAX_ID = 0xfffffffe; // (uid_t)-1 means "unchanged" to chown(2)

const validId = (id: number) => Number.isInteger(id) && id >= 0 && id <= MAX_ID;

const mapped = (ranges: IdRange[], id: number) =>
  ranges.some((r) => id >= r.inside && id < r.inside + r.count);

/** "0-65536": the container ids a mapping holds (buildRanges makes them contiguous from 0). */
function span(ranges: IdRange[]): string {
  const top = ranges.reduce((n, r) => Math.max(n, r.inside + r.count), 0) - 1;
  return top === 0 ? '0' : `0-${top}`;
}

/**
 * Refuses an owner the writer cannot give: one that is no 32-bit id, or one the user namespace
 * does not map (chown(2) would fail with EINVAL). `raw` is the entry's path as the tar has it.
 */
export function checkOwner(raw: string, path: string, uid: number, gid: number, idmap: IdMap) {
  if (!validId(uid) || !validId(gid)) {
    throw new LayerEntryError(
      `entry ${JSON.stringify(raw)} has owner ${uid}:${gid}, which is not a valid uid:gid`,
      { hint: `user and group ids run from 0 to ${MAX_ID}; the image is malformed or hostile` },
    );
  }
  if (mapped(idmap.uids, uid) && mapped(idmap.gids, gid)) return;
  // podman's words (containers/storage), without its advice to run `podman system migrate`:
  // tsctr reads the ranges afresh on every command.
  const file = `/${path}`;
  throw new LayerEntryError(
    `potentially insufficient UIDs or GIDs available in user namespace (requested ${uid}:${gid} for ${file}): lchown ${file}: invalid argument`,
    {
      hint: idmap.single
        ? 'the user namespace has only uid 0 and gid 0, because /etc/subuid and /etc/subgid have no range for your user; add one (see subuid(5))'
        : `the user namespace maps container uids ${span(idmap.uids)} and gids ${span(idmap.gids)} (your own id, then your ranges in /etc/subuid and /etc/subgid); give your user larger ranges there`,
    },
  );
}

/**
 * The entry's path, or the path a hard link names, climbs out of the layer (docker's
 * "breakout" errors: "invalid hardlink").
 */
export function outsideLayer(raw: string, link?: string): LayerEntryError {
  const what =
    link === undefined
      ? `entry ${JSON.stringify(raw)}`
      : `hard link ${JSON.stringify(raw)} to ${JSON.stringify(link)}`;
  return new LayerEntryError(`${what} points outside the layer`, {
    hint: 'the image is malformed or hostile',
  });
}

/** What the layer has written so far that explains a failed write: its links. */
export interface LayerLinks {
  /** Symbolic links of the layer: path → target. */
  symlinks: Map<string, string>;
  /** Hard links of the layer: path → the path it names. */
  hardlinks: Map<string, string>;
}

/** The first directory on the way to `path` that is a symbolic link of the layer. */
function linkOnTheWay(path: string, symlinks: Map<string, string>): string | undefined {
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    if (symlinks.has(path.slice(0, i))) return path.slice(0, i);
  }
  return undefined;
}

/** Errnos that are the store's trouble (its disk), whatever entry met them. */
const STORE_TROUBLE = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'ENOMEM', 'EMFILE', 'ENFILE']);

/**
 * Words a writer failure on one of the layer's entries: which entry, and why. A failure of the
 * store's disk is left as the writer reported it.
 */
export function entryWriteError(
  err: LayerWriteError,
  links: LayerLinks,
): LayerEntryError | LayerWriteError {
  if (err.errno !== undefined && STORE_TROUBLE.has(err.errno)) return err;
  const path = err.path ?? '';
  const target = err.op === 'hardlink' ? links.hardlinks.get(path) : undefined;
  if (target !== undefined) {
    return new LayerEntryError(
      `cannot write ${JSON.stringify(path)}, a hard link to ${JSON.stringify(target)}: ${err.reason}`,
      {
        cause: err,
        hint:
          err.errno === 'ENOENT'
            ? 'a hard link must name a file that the same layer wrote before it; docker (overlay2) and podman refuse this layer too'
            : 'the image is malformed or hostile',
      },
    );
  }
  const via = linkOnTheWay(path, links.symlinks);
  if (via !== undefined) {
    const to = links.symlinks.get(via)!;
    return new LayerEntryError(
      `cannot write ${JSON.stringify(path)} through ${JSON.stringify(via)}, a symbolic link to ${JSON.stringify(to)}: ${err.reason}`,
      {
        cause: err,
        hint:
          err.errno === 'ENOENT' || err.errno === 'ENOTDIR'
            ? "a layer's symbolic links are followed inside that layer alone, and it holds no such directory; docker (overlay2) and podman refuse this layer too"
            : 'the image is malformed or hostile',
      },
    );
  }
  return new LayerEntryError(`cannot write ${JSON.stringify(path)}: ${err.reason}`, {
    cause: err,
    hint:
      err.errno === 'EINVAL'
        ? 'its owner may be outside the ids of the user namespace (/etc/subuid and /etc/subgid), or its name is not one a file can have'
        : err.errno === 'ENAMETOOLONG'
          ? 'a name in the path is longer than 255 bytes, or the path longer than 4096; Linux allows neither'
          : 'the image is malformed or hostile',
  });
}
