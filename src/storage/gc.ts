/**
 * Garbage collection of the store after image records are deleted: every layer directory and
 * blob that no image record references, and no container's rootfs uses, is removed, along with
 * stale tmp/ entries of dead processes.
 *
 * What keeps something alive:
 *   - an image record: its layers (diff_ids), its config blob (the ID), its manifest blobs
 *     (manifestBlob, and manifestDigest when that is an index), its layer blobs (layerBlobs);
 *     records written before blobs were kept simply reference no blobs;
 *   - a container: the layers under its rootfs (given by the caller), even when `rmi -f`
 *     deleted its image, as docker keeps a container's layers.
 *
 * Runs holding the store's `gc` lock exclusively: pulls hold it shared from before they look for
 * present layers until their record is written, so a layer a pull is about to use cannot go.
 * A layer directory is first renamed into tmp/ (it stops existing for readers at once, and a
 * crash leaves only a stale temp) and then removed by the layer writer, since its files belong to
 * subordinate ids. The sync markers (durability.ts) of layers no longer present go too.
 */
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errors.ts';
import { currentIdMap } from '../userns/idmap.ts';
import { FileLock } from './lock.ts';
import { LayerWriter } from './layer-writer.ts';
import type { ImageRecord, ImageStore } from './store.ts';

export interface GcResult {
  /** diff_ids of the layers removed. */
  layers: string[];
  /** Digests of the blobs removed. */
  blobs: string[];
  /** Bytes freed: the layers' unpacked sizes plus the blobs' sizes. */
  bytes: number;
}

/** The blobs an image record keeps alive. */
export function recordBlobs(rec: ImageRecord): string[] {
  const out = [rec.id];
  if (rec.manifestDigest) out.push(rec.manifestDigest);
  if (rec.manifestBlob) out.push(rec.manifestBlob);
  for (const b of rec.layerBlobs ?? []) out.push(b.digest);
  return out;
}

export async function collectGarbage(
  store: ImageStore,
  containerLayers: () => Iterable<string>,
): Promise<GcResult> {
  const lock = await FileLock.acquire(store.lockPath('gc'), { exclusive: true });
  try {
    const liveLayers = new Set<string>(containerLayers());
    const liveBlobs = new Set<string>();
    for (const rec of store.listImages()) {
      for (const l of rec.layers) liveLayers.add(l);
      for (const b of recordBlobs(rec)) liveBlobs.add(b);
    }
    const result: GcResult = { layers: [], blobs: [], bytes: 0 };

    for (const digest of store.listBlobs()) {
      if (liveBlobs.has(digest)) continue;
      const path = store.blobPath(digest);
      try {
        const { size } = statSync(path);
        rmSync(path, { force: true });
        result.blobs.push(digest);
        result.bytes += size;
      } catch (err) {
        throw fromSystemError(`cannot remove blob ${digest}`, err);
      }
    }

    const doomed: string[] = [];
    for (const diffId of store.listLayers()) {
      if (liveLayers.has(diffId)) continue;
      const size = store.layerSize(diffId);
      const tmp = join(store.root, 'tmp', `${process.pid}-gc-${diffId.slice(7, 23)}`);
      try {
        mkdirSync(join(store.root, 'tmp'), { recursive: true, mode: 0o700 });
        renameSync(store.layerDir(diffId), tmp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw fromSystemError(`cannot remove layer ${diffId}`, err);
      }
      doomed.push(tmp);
      result.layers.push(diffId);
      result.bytes += size;
    }
    // Markers of layers now gone, or of an earlier copy of a layer imported again.
    for (const m of store.listMarkers()) {
      const cut = m.indexOf('-');
      const token = cut > 0 ? store.layerMeta(`sha256:${m.slice(0, cut)}`)?.token : undefined;
      if (token !== m.slice(cut + 1)) store.removeMarker(m);
    }
    doomed.push(...store.staleTemps());
    if (doomed.length) {
      const w = await LayerWriter.start(currentIdMap());
      try {
        for (const d of doomed) await w.remove(d);
      } finally {
        await w.close();
      }
    }
    return result;
  } finally {
    lock.release();
  }
}
