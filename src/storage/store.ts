/**
 * The image store under the storage root:
 *
 *   blobs/sha256/<hex>       blobs exactly as a registry served them (layer blobs, image
 *                            configs, image manifests), shared between images; push and save
 *                            send these bytes, so digests stay the registry's
 *   layers/<hex>/diff        one unpacked layer (an overlay lowerdir), named by its diff_id
 *   layers/<hex>/layer.json  { diffId, size, bootId?, token? } (see durability.ts)
 *   synced/<hex>-<token>     a layer committed unsynced has since reached the disk
 *   images/<hex>.json        one image record, named by its config digest (the image ID)
 *   locks/                   flock(2) files: images (record updates), layer-<hex> (one writer
 *                            per layer), gc (removal vs. pulls)
 *   tmp/<pid>-<random>[/]    work in progress; renamed into place only when verified
 *
 * Everything is written to tmp/ first and renamed in, so a process killed at any point leaves
 * either nothing or a complete entry; stale tmp/ entries of dead processes are removed later.
 */
import {
  mkdirSync,
  openSync,
  fsyncSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  existsSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { fromSystemError } from '../errors.ts';
import { FileLock } from './lock.ts';
import {
  currentBootId,
  markerName,
  stateOf,
  syncInBackground,
  unsyncedStamp,
  usable,
  type LayerMeta,
  type LayerState,
} from './durability.ts';

export interface ImageConfigBody {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    WorkingDir?: string;
    User?: string;
    Labels?: Record<string, string>;
    ExposedPorts?: Record<string, unknown>;
    Volumes?: Record<string, unknown>;
    StopSignal?: string;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: unknown[];
}

export interface ImageRecord {
  /** sha256:<hex> of the config blob: docker's image ID. */
  id: string;
  /** Canonical tagged names, e.g. docker.io/library/busybox:latest. */
  names: string[];
  /** Canonical digested names, e.g. docker.io/library/busybox@sha256:… */
  digests: string[];
  manifestDigest: string;
  /** diff_ids, bottom layer first. */
  layers: string[];
  config: ImageConfigBody;
  /** Bytes of all layers, uncompressed. */
  size: number;
  pulledAt: string;
  /**
   * Digest of the image manifest (the platform's, never an index) held in blobs/; its config
   * is blobs/<id> and its layers' blobs are listed in `layerBlobs`. Absent on records written
   * before blobs were kept.
   */
  manifestBlob?: string;
  /** The manifest's layer descriptors, bottom first, parallel to `layers`. */
  layerBlobs?: { mediaType: string; digest: string; size: number }[];
  /** When `tag` last named this image (docker's Metadata.LastTagTime); absent if never. */
  lastTagTime?: string;
}

const hexOf = (digest: string) => digest.slice(digest.indexOf(':') + 1);

export class ImageStore {
  readonly root: string;
  /**
   * Whether layers may be committed before they are synced: where boots can be told apart
   * (durability.ts). Otherwise the writer syncs each layer before its commit. Asked only by
   * writers: reading the boot id is 0.1 ms of every `images`.
   */
  get deferSync(): boolean {
    return currentBootId() !== undefined;
  }
  /** Markers of the layers this process committed unsynced. */
  private readonly unsynced: string[] = [];

  constructor(paths: StatePaths) {
    this.root = paths.root;
  }

  private dir(name: string): string {
    const d = join(this.root, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  }

  layerDir(diffId: string): string {
    return join(this.root, 'layers', hexOf(diffId));
  }

  /** Path of a layer's content relative to the storage root (short overlay lowerdir entries). */
  layerDiffRelative(diffId: string): string {
    return `layers/${hexOf(diffId)}/diff`;
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', hexOf(digest));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    try {
      return readFileSync(this.blobPath(digest));
    } catch (err) {
      throw fromSystemError(`blob ${digest} is missing from the store`, err);
    }
  }

  /** Removes a blob found damaged, so that the copy fetched next takes its place. */
  dropBlob(digest: string): void {
    rmSync(this.blobPath(digest), { force: true });
  }

  /** Stores a small verified blob (manifest, config): temp file, fsync, rename. */
  putBlob(digest: string, data: Buffer): void {
    if (this.hasBlob(digest)) return;
    const tmp = join(this.dir('tmp'), `${process.pid}-${hexOf(digest).slice(0, 16)}.blob`);
    try {
      writeFileSync(tmp, data, { mode: 0o644 });
      this.commitBlob(tmp, digest);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw fromSystemError('cannot store blob', err);
    }
  }

  /** A temp file name for a blob being downloaded; `commitBlob` renames it in when verified. */
  newBlobTemp(): string {
    return join(
      this.dir('tmp'),
      `${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.blob`,
    );
  }

  /** fsyncs a verified temp blob and renames it to its digest's name. */
  commitBlob(tmp: string, digest: string): void {
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    mkdirSync(join(this.root, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    renameSync(tmp, this.blobPath(digest));
  }

  /** Every blob digest present. */
  listBlobs(): string[] {
    try {
      return readdirSync(join(this.root, 'blobs', 'sha256'))
        .filter((n) => /^[0-9a-f]{64}$/.test(n))
        .map((n) => `sha256:${n}`);
    } catch {
      return [];
    }
  }

  /** Every layer diff_id present (complete layers only). */
  listLayers(): string[] {
    try {
      return readdirSync(join(this.root, 'layers'))
        .filter((n) => /^[0-9a-f]{64}$/.test(n))
        .map((n) => `sha256:${n}`)
        .filter((d) => this.hasLayer(d));
    } catch {
      return [];
    }
  }

  lockPath(name: string): string {
    return join(this.root, 'locks', name);
  }

  /**
   * Runs `fn` holding the store's record lock, so read-modify-write of image records (tags move
   * between images) by concurrent commands cannot lose an update.
   */
  async withRecordLock<T>(fn: () => T | Promise<T>): Promise<T> {
    const lock = await FileLock.acquire(this.lockPath('images'));
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  /** Removes an image record (not its layers or blobs: see storage/gc.ts). */
  deleteImageRecord(id: string): void {
    rmSync(join(this.root, 'images', `${hexOf(id)}.json`), { force: true });
  }

  /** Writes `rec` as is (no merging): for untag and tag. */
  replaceImageRecord(rec: ImageRecord): void {
    this.writeRecord(this.dir('images'), rec);
  }

  hasLayer(diffId: string): boolean {
    return existsSync(join(this.layerDir(diffId), 'layer.json'));
  }

  /** Whether the layer is present and can be trusted to hold its files (durability.ts). */
  layerState(diffId: string): LayerState {
    return this.readLayer(diffId).state;
  }

  /** A layer that pull, load and run can use as it is. */
  layerUsable(diffId: string): boolean {
    return usable(this.layerState(diffId));
  }

  /** layer.json read once: the layer's state and, when it parses, what it holds. */
  private readLayer(diffId: string): { state: LayerState; meta?: LayerMeta } {
    let json: string;
    try {
      json = readFileSync(join(this.layerDir(diffId), 'layer.json'), 'utf8');
    } catch {
      return { state: 'missing' };
    }
    const state = stateOf(json, (token) =>
      existsSync(join(this.root, 'synced', markerName(diffId, token))),
    );
    return state === 'suspect' ? { state } : { state, meta: JSON.parse(json) as LayerMeta };
  }

  /**
   * Moves a suspect layer out of layers/ into tmp/ so it can be imported again; returns where
   * it went, for the caller to remove through a layer writer (its files belong to subordinate
   * ids). The caller holds the layer's lock.
   */
  retireLayer(diffId: string): string {
    const tmp = join(
      this.dir('tmp'),
      `${process.pid}-suspect-${hexOf(diffId).slice(0, 16)}-${Math.random().toString(36).slice(2, 8)}`,
    );
    try {
      renameSync(this.layerDir(diffId), tmp);
    } catch (err) {
      throw fromSystemError(`cannot move aside layer ${diffId}`, err);
    }
    return tmp;
  }

  /** A fresh work directory under tmp/, with an empty diff/ inside for the writer. */
  newTemp(): string {
    const d = join(
      this.dir('tmp'),
      `${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    );
    mkdirSync(join(d, 'diff'), { recursive: true, mode: 0o755 });
    return d;
  }

  /** Moves a verified layer into place. Returns false when another pull got there first. */
  commitLayer(temp: string, diffId: string, size: number): boolean {
    this.dir('layers');
    const stamp = unsyncedStamp();
    const meta: LayerMeta = { diffId, size, ...stamp };
    writeFileSync(join(temp, 'layer.json'), JSON.stringify(meta));
    try {
      renameSync(temp, this.layerDir(diffId));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw fromSystemError('cannot commit layer', err);
    }
    if (stamp) this.unsynced.push(markerName(diffId, stamp.token));
    return true;
  }

  /**
   * Has the layers this process committed, and those of `diffIds` still unsynced (committed by
   * a process killed before it got here), synced in the background and marked so. Never fails:
   * a layer left unmarked costs at most a re-import after a reboot.
   */
  syncLater(diffIds: Iterable<string> = []): void {
    try {
      const markers = new Set(this.unsynced);
      this.unsynced.length = 0;
      for (const d of diffIds) {
        const { state, meta } = this.readLayer(d);
        if (state === 'unsynced' && meta?.token) markers.add(markerName(d, meta.token));
      }
      if (!markers.size) return;
      this.dir('synced');
      // layers/ itself, not the root: it may be a link to, or a mount of, another filesystem.
      syncInBackground(join(this.root, 'layers'), join(this.root, 'synced'), [...markers]);
    } catch {
      // See above.
    }
  }

  /** Marker files, for garbage collection: those of absent layers or other tokens are stale. */
  listMarkers(): string[] {
    try {
      return readdirSync(join(this.root, 'synced'));
    } catch {
      return [];
    }
  }

  removeMarker(name: string): void {
    rmSync(join(this.root, 'synced', name), { force: true });
  }

  layerMeta(diffId: string): LayerMeta | undefined {
    try {
      return JSON.parse(
        readFileSync(join(this.layerDir(diffId), 'layer.json'), 'utf8'),
      ) as LayerMeta;
    } catch {
      return undefined;
    }
  }

  layerSize(diffId: string): number {
    return this.layerMeta(diffId)?.size ?? 0;
  }

  /** tmp/ entries whose creating process is gone (killed mid-pull). */
  staleTemps(): string[] {
    let names: string[];
    try {
      names = readdirSync(join(this.root, 'tmp'));
    } catch {
      return [];
    }
    return names
      .filter((n) => {
        const pid = Number(n.split('-')[0]);
        if (!Number.isInteger(pid) || pid === process.pid) return false;
        try {
          process.kill(pid, 0);
          return false;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'ESRCH';
        }
      })
      .map((n) => join(this.root, 'tmp', n));
  }

  listImages(): ImageRecord[] {
    let files: string[];
    try {
      files = readdirSync(join(this.root, 'images'));
    } catch {
      return [];
    }
    const out: ImageRecord[] = [];
    for (const f of files) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.root, 'images', f), 'utf8')) as ImageRecord);
      } catch {
        // A record is written whole by rename; an unreadable one is foreign: skip it.
      }
    }
    return out;
  }

  getImage(id: string): ImageRecord | undefined {
    try {
      return JSON.parse(
        readFileSync(join(this.root, 'images', `${hexOf(id)}.json`), 'utf8'),
      ) as ImageRecord;
    } catch {
      return undefined;
    }
  }

  /**
   * Saves `rec`, merging names with an existing record of the same ID, and moves its tags away
   * from any other image (a tag names one image; the old one may become dangling).
   */
  saveImage(rec: ImageRecord): ImageRecord {
    const dir = this.dir('images');
    const old = this.getImage(rec.id);
    const merged: ImageRecord = old
      ? {
          ...rec,
          names: [...new Set([...old.names, ...rec.names])],
          digests: [...new Set([...old.digests, ...rec.digests])],
          lastTagTime: rec.lastTagTime ?? old.lastTagTime,
        }
      : rec;
    for (const other of this.listImages()) {
      if (other.id === rec.id) continue;
      const names = other.names.filter((n) => !rec.names.includes(n));
      if (names.length !== other.names.length) this.writeRecord(dir, { ...other, names });
    }
    this.writeRecord(dir, merged);
    return merged;
  }

  private writeRecord(dir: string, rec: ImageRecord): void {
    const file = join(dir, `${hexOf(rec.id)}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(rec, null, 2));
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw fromSystemError('cannot save image record', err);
    }
  }
}
