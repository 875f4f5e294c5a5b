/**
 * `load`: images from an archive (docker save, podman save in either format, tsctr save; plain,
 * gzip or zstd) on stdin or in a file.
 *
 * The archive is extracted into a tmp/ work directory as it streams in (archive-extract.ts),
 * read into a plan (load-plan.ts), and then imported: each layer is unpacked and checked
 * against its digest and the config's diff_id as pull does it (layer-import.ts), the blobs are
 * kept as the archive had them, and only when every image of the archive is in does any image
 * record get written. A hostile or damaged archive leaves no image; the work directory goes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError, fromSystemError } from '../errors.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { FileLock } from '../storage/lock.ts';
import { currentIdMap } from '../userns/idmap.ts';
import { extractArchive } from './archive-extract.ts';
import { planImages, type PlannedImage, type PlannedLayer } from './load-plan.ts';
import { familiar, synthesizeManifest } from './archive-format.ts';
import { importLayer, type LayerFailures } from './layer-import.ts';
import { WriterPool } from '../storage/layer-writer.ts';

export type LoadEvent =
  /** docker: a name moved off another image, which keeps its ID. */
  | { kind: 'renamed'; name: string; oldId: string }
  | { kind: 'loaded'; name: string }
  | { kind: 'loaded-id'; id: string };

export interface LoadOptions {
  paths: StatePaths;
  /** -i: the archive; unset: `stdin`. */
  input?: string;
  /** The CLI's standard input, which this module does not touch itself (src/cli/stdio.ts). */
  stdin?: { terminal(): boolean; open(): Readable };
  onEvent?: (e: LoadEvent) => void;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function openInput({ input, stdin }: LoadOptions): Promise<Readable> {
  if (input === undefined) {
    // docker's words: reading a terminal would wait for a tar typed by hand.
    if (!stdin || stdin.terminal()) {
      throw new TsctrError('requested load from stdin, but stdin is empty', {
        hint: 'tsctr load -i image.tar, or tsctr load < image.tar',
      });
    }
    return stdin.open();
  }
  const stream = createReadStream(input);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch((err: unknown) => {
    throw fromSystemError('cannot read the archive', err);
  });
  return stream;
}

function failures(layer: PlannedLayer): LayerFailures {
  const hint = 'nothing was loaded; the archive is damaged, truncated or was tampered with';
  return {
    corrupt: (err) =>
      new TsctrError(`layer ${layer.path} in the archive is damaged: ${(err as Error).message}`, {
        cause: err,
        hint,
      }),
    refused: (err) =>
      new TsctrError(`layer ${layer.path} in the archive: ${err.message}`, {
        cause: err,
        hint: `nothing was loaded; ${err.hint ?? 'the image is malformed'}`,
      }),
    digest: (got) =>
      new TsctrError(`layer ${layer.path} does not match its digest ${layer.digest}: got ${got}`, {
        hint,
      }),
    diffId: (got) =>
      new TsctrError(
        `layer ${layer.path} does not match the image config: diff_id ${got}, expected ${layer.diffId}`,
        { hint },
      ),
  };
}

/** The record of a loaded image; a pulled image of the same ID keeps its registry documents. */
function recordFor(store: ImageStore, img: PlannedImage, manifestDigest: string): ImageRecord {
  const old = store.getImage(img.id);
  const oldComplete =
    old?.manifestBlob &&
    old.layerBlobs &&
    [old.manifestBlob, ...old.layerBlobs.map((l) => l.digest)].every((d) => store.hasBlob(d));
  if (old && oldComplete) return { ...old, names: img.names };
  const diffIds = img.config.rootfs!.diff_ids;
  return {
    id: img.id,
    names: img.names,
    digests: [],
    manifestDigest: img.top?.digest ?? manifestDigest,
    layers: diffIds,
    config: img.config,
    size: diffIds.reduce((n, d) => n + store.layerSize(d), 0),
    pulledAt: new Date().toISOString(),
    manifestBlob: manifestDigest,
    layerBlobs: img.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
}

export async function loadImages(opts: LoadOptions): Promise<void> {
  const emit = opts.onEvent ?? (() => undefined);
  const input = await openInput(opts);
  const store = new ImageStore(opts.paths);
  // Shared, as pulls hold it: image removal cannot collect a layer this load has found present.
  const gcLock = await FileLock.acquire(store.lockPath('gc'), { exclusive: false });
  const temp = store.newTemp();
  // Layers are imported one after the other, all through one writer.
  const writers = new WriterPool(currentIdMap(), 1);
  try {
    const root = join(temp, 'archive');
    mkdirSync(root, { mode: 0o700 });
    const archive = await extractArchive(input, root);
    const images = await planImages(archive);
    if (!images.length) {
      throw new TsctrError('the archive holds no image', {
        hint: 'its manifest.json or index.json lists nothing',
      });
    }
    for (const img of images) {
      for (const layer of img.layers) {
        await importLayer(
          store,
          writers,
          {
            diffId: layer.diffId,
            digest: layer.digest,
            size: layer.size,
            file: layer.file,
            open: () => createReadStream(layer.file),
          },
          failures(layer),
        );
      }
    }

    // Every layer is in: now the documents, then the records, all images at once.
    const manifests = images.map((img) => {
      store.putBlob(img.id, img.configBuf);
      if (img.top) store.putBlob(img.top.digest, img.top.body);
      const body =
        img.manifest?.body ??
        synthesizeManifest({ digest: img.id, size: img.configBuf.length }, img.layers);
      const digest = img.manifest?.digest ?? sha256(body);
      store.putBlob(digest, body);
      return digest;
    });
    const events: LoadEvent[] = [];
    await store.withRecordLock(() => {
      images.forEach((img, k) => {
        const others = store.listImages().filter((r) => r.id !== img.id);
        for (const name of img.names) {
          const prev = others.find((r) => r.names.includes(name));
          if (prev) events.push({ kind: 'renamed', name: familiar(name), oldId: prev.id });
          events.push({ kind: 'loaded', name: familiar(name) });
        }
        if (!img.names.length) events.push({ kind: 'loaded-id', id: img.id });
        store.saveImage(recordFor(store, img, manifests[k]!));
      });
    });
    store.syncLater(images.flatMap((img) => img.config.rootfs!.diff_ids));
    for (const e of events) emit(e);
  } finally {
    await writers.close();
    store.syncLater();
    rmSync(temp, { recursive: true, force: true });
    gcLock.release();
  }
}
