/**
 * `rmi`: dockerd's ImageDelete, rule for rule (daemon/images/image_delete.go).
 *
 * Given a name, that reference is removed ("Untagged: busybox:latest"); when it was the last tag
 * of its repository, the repository's digest references go too. Only once no reference is left
 * is the image itself deleted ("Deleted: sha256:…"), and then quietly: a container still using
 * it keeps it (as <none>). Without -f, removing the last reference of an image a container uses
 * is refused.
 *
 * Given an ID (or a prefix of one), an image with at most one tag (plus digests of that
 * repository) loses its references and is deleted; one with references in several
 * repositories needs -f. Conflicts: a running container can never be overridden (hard); a
 * stopped or created container, or other references, can be with -f (soft). With -f an image
 * used by a stopped container is deleted, and the container keeps its layers (its record lists
 * them), as docker's does.
 *
 * Layers and blobs are freed afterwards by storage/gc.ts. Docker's per-layer "Deleted:" lines
 * name graphdriver chain IDs, which tsctr does not have; only the image ID is reported.
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { collectGarbage, type GcResult } from '../storage/gc.ts';
import { listContainers, saveContainer } from '../storage/containers.ts';
import { familiarName, parseReference, withDefaultTag } from '../registry/reference.ts';
import { isIdPrefix, isNoSuchImage, recordRef, resolveImage } from './resolve.ts';
import { imageUsers, type ImageUser } from './usage.ts';

export interface DeleteItem {
  untagged?: string;
  deleted?: string;
}

export interface RemoveOutcome {
  input: string;
  items: DeleteItem[];
  error?: TsctrError;
  /** The error is "No such image" (docker's -f reports those but still succeeds). */
  notFound?: boolean;
}

const short = (id: string) => id.slice(id.indexOf(':') + 1, id.indexOf(':') + 13);
const repoOf = (ref: string) => {
  const r = parseReference(ref);
  return `${r.domain}/${r.path}`;
};
const isDigestRef = (ref: string) => ref.includes('@');
const familiar = (ref: string) => familiarName(parseReference(ref));

/** Every reference of an image, sorted as dockerd's reference store lists them. */
export function referencesOf(rec: ImageRecord): string[] {
  return [...rec.names, ...rec.digests].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * dockerd's isSingleReference: at most one tag, and all digest references in that tag's
 * repository (or, without a tag, all in one repository). False for none.
 */
export function isSingleReference(refs: readonly string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const digestRepos = new Set<string>();
  let single: string | undefined;
  for (const r of refs) {
    if (isDigestRef(r)) digestRepos.add(repoOf(r));
    else if (single === undefined) single = r;
    else return false;
  }
  return digestRepos.size === 1 && digestRepos.has(repoOf(single ?? refs[0]!));
}

const HARD = { running: true, references: false, stopped: false };
const HARD_AND_STOPPED = { running: true, references: false, stopped: true };
const ALL = { running: true, references: true, stopped: true };
type Mask = typeof HARD;

interface Conflict {
  error: TsctrError;
  used: boolean;
}

/** Deletes images one request at a time against the current records; call under the record lock. */
export class ImageDeleter {
  private readonly store: ImageStore;
  private readonly users: ImageUser[];
  private readonly paths: StatePaths;
  deletedAny = false;

  constructor(paths: StatePaths) {
    this.paths = paths;
    this.store = new ImageStore(paths);
    this.users = imageUsers(paths);
  }

  /** dockerd's ImageDelete(input, force); throws the conflict or not-found error. */
  delete(input: string, force: boolean): DeleteItem[] {
    let rec = resolveImage(this.store.listImages(), input);
    const items: DeleteItem[] = [];
    let quiet = false;
    if (!isIdPrefix(rec.id, input)) {
      const user = this.users.find((u) => u.imageId === rec.id);
      if (!force && user && isSingleReference(referencesOf(rec))) {
        throw new TsctrError(
          `conflict: unable to remove repository reference ${JSON.stringify(input)} (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${short(rec.id)}`,
          { hint: 'remove the container first, or use -f to untag the image anyway' },
        );
      }
      const parsed = withDefaultTag(parseReference(input));
      const ref = recordRef(parsed);
      rec = this.dropRefs(rec, [ref]);
      items.push({ untagged: familiarName(parsed) });
      if (!parsed.digest) {
        const repo = repoOf(ref);
        const tagsLeft = rec.names.some((n) => repoOf(n) === repo);
        if (!tagsLeft) {
          const sameRepo = referencesOf(rec).filter((r) => isDigestRef(r) && repoOf(r) === repo);
          rec = this.dropRefs(rec, sameRepo);
          for (const r of sameRepo) items.push({ untagged: familiar(r) });
        }
      }
      if (referencesOf(rec).length > 0) return items;
      quiet = true;
    } else if (isSingleReference(referencesOf(rec))) {
      const conflict = this.conflict(rec, force ? HARD : HARD_AND_STOPPED);
      if (conflict) throw conflict.error;
      const refs = referencesOf(rec);
      rec = this.dropRefs(rec, refs);
      for (const r of refs) items.push({ untagged: familiar(r) });
    }
    this.deleteImage(rec, force, quiet, items);
    return items;
  }

  /** dockerd's imageDeleteHelper (there are no parent images to prune). */
  private deleteImage(rec: ImageRecord, force: boolean, quiet: boolean, items: DeleteItem[]) {
    const conflict = this.conflict(rec, force ? HARD : ALL);
    if (conflict) {
      const dangling = referencesOf(rec).length === 0;
      if (quiet && (!dangling || conflict.used)) return;
      throw conflict.error;
    }
    const refs = referencesOf(rec);
    rec = this.dropRefs(rec, refs);
    for (const r of refs) items.push({ untagged: familiar(r) });
    this.keepContainerLayers(rec);
    this.store.deleteImageRecord(rec.id);
    this.deletedAny = true;
    items.push({ deleted: rec.id });
  }

  private conflict(rec: ImageRecord, mask: Mask): Conflict | undefined {
    const make = (hard: boolean, used: boolean, message: string): Conflict => ({
      used,
      error: new TsctrError(
        `conflict: unable to delete ${short(rec.id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${message}`,
        {
          hint: hard
            ? 'stop and remove the container first'
            : used
              ? 'remove the container first, or use -f'
              : 'remove the image by name, or use -f to remove every reference',
        },
      ),
    });
    const running = this.users.find((u) => u.imageId === rec.id && u.running);
    if (mask.running && running) {
      return make(
        true,
        true,
        `image is being used by running container ${running.id.slice(0, 12)}`,
      );
    }
    if (mask.references && referencesOf(rec).length > 0) {
      return make(false, false, 'image is referenced in multiple repositories');
    }
    const stopped = this.users.find((u) => u.imageId === rec.id && !u.running);
    if (mask.stopped && stopped) {
      return make(
        false,
        true,
        `image is being used by stopped container ${stopped.id.slice(0, 12)}`,
      );
    }
    return undefined;
  }

  private dropRefs(rec: ImageRecord, refs: readonly string[]): ImageRecord {
    if (!refs.length) return rec;
    const next = {
      ...rec,
      names: rec.names.filter((n) => !refs.includes(n)),
      digests: rec.digests.filter((d) => !refs.includes(d)),
    };
    this.store.replaceImageRecord(next);
    return next;
  }

  /** Containers made before run recorded their layers learn them now, before the image goes. */
  private keepContainerLayers(rec: ImageRecord): void {
    if (!this.users.some((u) => u.imageId === rec.id && !u.layers)) return;
    for (const c of listContainers(this.paths)) {
      if (c.imageId === rec.id && !c.layers)
        saveContainer(this.paths, { ...c, layers: rec.layers });
    }
  }
}

/** Layers that containers' root filesystems use: kept by garbage collection. */
export function containerLayers(paths: StatePaths, store: ImageStore): string[] {
  return listContainers(paths).flatMap((c) => c.layers ?? store.getImage(c.imageId)?.layers ?? []);
}

/** Removes layers and blobs left unreferenced once image records are gone. */
export function collectStore(paths: StatePaths): Promise<GcResult> {
  const store = new ImageStore(paths);
  return collectGarbage(store, () => containerLayers(paths, store));
}

/** `rmi IMAGE...`: each request in turn, every failure reported, then garbage collection. */
export async function removeImages(
  paths: StatePaths,
  inputs: readonly string[],
  opts: { force: boolean },
): Promise<RemoveOutcome[]> {
  const store = new ImageStore(paths);
  let deletedAny = false;
  const outcomes = await store.withRecordLock(() => {
    const deleter = new ImageDeleter(paths);
    const out = inputs.map((input): RemoveOutcome => {
      try {
        return { input, items: deleter.delete(input, opts.force) };
      } catch (err) {
        if (!(err instanceof TsctrError)) throw err;
        return { input, items: [], error: err, notFound: isNoSuchImage(err) };
      }
    });
    deletedAny = deleter.deletedAny;
    return out;
  });
  if (deletedAny) await collectStore(paths);
  return outcomes;
}
