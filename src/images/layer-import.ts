/**
 * Bringing one layer into the store, shared by pull (a blob downloaded from a registry) and load
 * (a blob extracted from an archive). Under the layer's lock, the blob is unpacked through a
 * layer writer into a tmp/ work directory; the blob digest and the diff_id are checked; only
 * then are the blob (blobs/) and the layer (layers/) renamed in. A failure leaves nothing but
 * the work directory, which is removed through the writer (its files belong to subordinate ids).
 */
import { createReadStream, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { TsctrError } from '../errors.ts';
import type { ImageStore } from '../storage/store.ts';
import { LayerWriteError, type LayerWriter, type WriterPool } from '../storage/layer-writer.ts';
import { LayerEntryError } from '../storage/layer-refusal.ts';
import { FileLock } from '../storage/lock.ts';
import { unpackLayer } from '../storage/unpack.ts';
import { usable } from '../storage/durability.ts';
import { fileSha256 } from '../storage/file-digest.ts';

export interface LayerSource {
  /** The diff_id the image config lists for this layer. */
  diffId: string;
  /** The digest the blob must have (a manifest's descriptor, or the hash of an archive file). */
  digest: string;
  /** The size the blob must have, when one is declared. */
  size?: number;
  /** Opens the blob; called at most once, and only once the layer's lock is held. */
  open(): Readable;
  /**
   * The blob is already this file (a member extracted from an archive into tmp/): once
   * verified it is renamed into blobs/ instead of being copied while it is read.
   */
  file?: string;
}

/** The caller's wording of each way a blob can fail, since a registry and an archive differ. */
export interface LayerFailures {
  /** Reading, decompressing or parsing failed (truncated, corrupt, too long). */
  corrupt(err: unknown): TsctrError;
  /** An entry of the layer cannot be stored (storage/layer-refusal.ts): the image is at fault. */
  refused(err: LayerEntryError): TsctrError;
  /** The blob's sha256 is not the expected digest. */
  digest(got: string): TsctrError;
  /** The uncompressed tar's sha256 is not the config's diff_id. */
  diffId(got: string): TsctrError;
}

/**
 * Stores the layer and its blob unless both are present and the layer is usable. The layer's
 * lock makes a second process importing the same layer wait and then find it present, so it is
 * unpacked once. A suspect layer (storage/durability.ts) is moved aside and imported again. A
 * layer not usable is unpacked from the kept blob when that is intact (blobs are fsynced before
 * they are committed), from the source otherwise.
 */
export async function importLayer(
  store: ImageStore,
  writers: WriterPool,
  src: LayerSource,
  fail: LayerFailures,
  onWait?: () => void,
): Promise<void> {
  const lock = await FileLock.acquire(store.lockPath(`layer-${src.diffId.slice(7)}`), { onWait });
  try {
    const state = store.layerState(src.diffId);
    let haveBlob = store.hasBlob(src.digest);
    if (usable(state) && haveBlob) return;
    const retired = state === 'suspect' ? store.retireLayer(src.diffId) : undefined;
    // The kept blob gives the layer without a download, once its bytes are shown to be the
    // digest's; a damaged one is dropped and fetched again with the layer.
    const kept = store.blobPath(src.digest);
    if (haveBlob && (await fileSha256(kept).catch(() => undefined)) !== src.digest) {
      store.dropBlob(src.digest);
      haveBlob = false;
    }
    const from = haveBlob ? { ...src, file: kept, open: () => createReadStream(kept) } : src;
    await unpackVerified(store, writers, from, fail, retired);
  } finally {
    lock.release();
  }
}

async function unpackVerified(
  store: ImageStore,
  writers: WriterPool,
  src: LayerSource,
  fail: LayerFailures,
  retired?: string,
): Promise<void> {
  const temp = store.newTemp();
  // A blob read from a file is moved in afterwards; one read from the network is teed to a file.
  const blobTemp = src.file === undefined ? store.newBlobTemp() : undefined;
  // The download (or the read) starts while the writer is spawned, which takes ~50 ms of
  // newuidmap and newgidmap that would otherwise come before the first byte; what arrives
  // meanwhile waits in the stream's buffer (its high-water mark bounds it).
  const blob = src.open();
  // A failure before the pipeline takes the stream (a 404 answered at once) stays in it and is
  // what the pipeline rejects with; unheard, it would be an uncaught exception.
  blob.on('error', () => undefined);
  blob.read(0);
  let writer: LayerWriter;
  try {
    writer = await writers.acquire();
  } catch (err) {
    blob.destroy();
    throw err;
  }
  let committed = false;
  try {
    // The suspect copy goes first, so the store never holds two copies' worth of the layer.
    if (retired !== undefined) await writer.remove(retired);
    const got = await unpackLayer(blob, `${temp}/diff`, writer, {
      expectedSize: src.size,
      blobFile: blobTemp,
      sync: !store.deferSync,
    }).catch((err: unknown) => {
      throw failure(err, fail);
    });
    if (got.digest !== src.digest) throw fail.digest(got.digest);
    if (got.diffId !== src.diffId) throw fail.diffId(got.diffId);
    // Blob first: a layer present without its blob would never be fetched again.
    if (!store.hasBlob(src.digest)) store.commitBlob(blobTemp ?? src.file!, src.digest);
    if (!store.hasLayer(src.diffId)) committed = store.commitLayer(temp, src.diffId, got.size);
  } finally {
    // Also after a failure before the pipeline took it: the download would keep its slot.
    blob.destroy();
    if (blobTemp !== undefined) rmSync(blobTemp, { force: true });
    if (!committed) await removeTemp(writers, writer, temp);
    writers.release(writer);
  }
}

/** Which of the caller's wordings an unpacking failure takes. */
function failure(err: unknown, fail: LayerFailures): unknown {
  if (err instanceof LayerEntryError) return fail.refused(err);
  // The writer could not write what it was given (the disk is full, read-only, failing): the
  // store's trouble, in its own words, not the blob's.
  if (err instanceof LayerWriteError) return err;
  return fail.corrupt(err);
}

/**
 * Removes a layer's work directory after a failure. A writer that failed has exited; one left
 * in the middle of a file (the blob ended inside it) would take the removal for file data and
 * is given up. Either way another writer removes the directory. What cannot be removed now is
 * a stale temp for later.
 */
async function removeTemp(writers: WriterPool, writer: LayerWriter, temp: string): Promise<void> {
  if (!writer.broken && writer.inStep) {
    await writer.remove(temp).catch(() => undefined);
    return;
  }
  if (!writer.broken) writer.abandon();
  try {
    const other = await writers.acquire();
    await other.remove(temp).catch(() => undefined);
    writers.release(other);
  } catch {
    // As above.
  }
}
