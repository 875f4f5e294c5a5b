/**
 * Reading an extracted image archive into a plan: for each image, its config (verified), its
 * names, and each layer's file, digest and diff_id. Two ways in, as the archive offers:
 *
 *   manifest.json (docker save, any version; podman's docker-archive): read as docker's loader
 *     reads it; layer files are hashed here, since docker's list gives paths, not digests. When
 *     the archive is also an OCI layout (docker ≥ 25, tsctr save), the image manifest it holds
 *     for the same config and layer blobs is kept, so digests survive a round trip.
 *   index.json alone (podman's oci-archive, containerd): each entry's image manifest, through a
 *     nested index by the host's platform, named by the entry's annotations.
 *
 * Nothing is stored here; every document read is checked against its digest.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { TsctrError, fromSystemError } from '../errors.ts';
import {
  choosePlatform,
  classifyManifest,
  hostPlatform,
  type Descriptor,
  type ImageManifest,
} from '../registry/manifest.ts';
import type { ImageConfigBody } from '../storage/store.ts';
import { fileSha256 } from '../storage/file-digest.ts';
import type { ExtractedArchive } from './archive-extract.ts';
import {
  OciLayerType,
  annotationName,
  parseDockerManifest,
  parseIndex,
  repoTagName,
  sniffCompression,
} from './archive-format.ts';

/** Configs and manifests are small; a larger one is not an image document. */
const MAX_DOCUMENT = 16 << 20;

export interface PlannedLayer {
  /** Path in the archive, for messages. */
  path: string;
  /** The extracted file. */
  file: string;
  digest: string;
  size: number;
  mediaType: string;
  diffId: string;
}

export interface PlannedImage {
  id: string;
  configBuf: Buffer;
  config: ImageConfigBody;
  /** Canonical tagged names. */
  names: string[];
  layers: PlannedLayer[];
  /** The image manifest the archive holds for this image; absent: load writes one. */
  manifest?: { digest: string; body: Buffer };
  /** The document index.json points at, when that is an index above the manifest. */
  top?: { digest: string; body: Buffer };
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function invalid(
  what: string,
  hint = 'the archive is damaged or was tampered with; nothing was loaded',
) {
  return new TsctrError(what, { hint });
}

function fileOf(archive: ExtractedArchive, path: string, what: string): string {
  const file = archive.resolve(path);
  if (!file) throw invalid(`${what} ${path} is missing from the archive`);
  return file;
}

function readDocument(archive: ExtractedArchive, path: string, what: string): Buffer {
  const file = fileOf(archive, path, what);
  try {
    if (statSync(file).size > MAX_DOCUMENT) throw invalid(`${what} ${path} is too large`);
    return readFileSync(file);
  } catch (err) {
    throw fromSystemError(`cannot read ${what} ${path}`, err);
  }
}

async function hashFile(file: string): Promise<string> {
  try {
    return await fileSha256(file);
  } catch (err) {
    throw fromSystemError('cannot read a layer from the archive', err);
  }
}

function layerMediaType(file: string): string {
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, head, 0, 4, 0);
    return OciLayerType[sniffCompression(head.subarray(0, n))];
  } finally {
    closeSync(fd);
  }
}

/** Parses an image config and checks its diff_ids against the number of layers. */
function parseConfig(buf: Buffer, path: string, layerCount: number): ImageConfigBody {
  let config: ImageConfigBody;
  try {
    config = JSON.parse(buf.toString('utf8')) as ImageConfigBody;
  } catch {
    throw invalid(`image config ${path} is not valid JSON`);
  }
  const diffIds = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => /^sha256:[0-9a-f]{64}$/.test(d))) {
    throw invalid(`image config ${path} has no valid rootfs.diff_ids`);
  }
  if (diffIds.length !== layerCount) {
    throw invalid(
      `image config ${path} lists ${diffIds.length} layers, but the archive gives ${layerCount}`,
    );
  }
  return config;
}

const blobPath = (digest: string) => `blobs/sha256/${digest.slice(7)}`;

/** A blob of the OCI layout, read whole and checked against its descriptor. */
function readBlob(archive: ExtractedArchive, d: { digest: string; size?: number }, what: string) {
  if (!/^sha256:[0-9a-f]{64}$/.test(d.digest))
    throw invalid(`${what} ${d.digest} does not use a sha256 digest, which tsctr requires`);
  const body = readDocument(archive, blobPath(d.digest), what);
  if (sha256(body) !== d.digest) throw invalid(`${what} ${d.digest} does not match its digest`);
  if (d.size !== undefined && body.length !== d.size)
    throw invalid(`${what} ${d.digest} has ${body.length} bytes, its descriptor says ${d.size}`);
  return body;
}

interface FoundManifest {
  manifest: ImageManifest;
  digest: string;
  body: Buffer;
  top?: { digest: string; body: Buffer };
}

/** The image manifest an index.json entry leads to (through a nested index, by platform). */
function followEntry(archive: ExtractedArchive, entry: Descriptor, depth = 0): FoundManifest {
  const body = readBlob(archive, entry, 'manifest');
  const doc = classifyManifest(body, entry.mediaType, entry.digest);
  if (doc.kind === 'image') return { manifest: doc.manifest, digest: entry.digest, body };
  if (depth > 0) throw invalid(`index ${entry.digest} nests indexes, which tsctr does not load`);
  const inner = followEntry(archive, choosePlatform(doc.index, hostPlatform(), entry.digest), 1);
  return { ...inner, top: { digest: entry.digest, body } };
}

/** Every image manifest the OCI layout holds, for matching manifest.json images to them. */
function layoutManifests(archive: ExtractedArchive): FoundManifest[] {
  const file = archive.resolve('index.json');
  if (!file) return [];
  const out: FoundManifest[] = [];
  for (const entry of parseIndex(readFileSync(file, 'utf8')).manifests) {
    try {
      out.push(followEntry(archive, entry as Descriptor));
    } catch {
      // Only a helper for keeping digests: manifest.json decides what is loaded.
    }
  }
  return out;
}

/** docker's manifest.json way in. */
async function planDocker(archive: ExtractedArchive, text: string): Promise<PlannedImage[]> {
  const items = parseDockerManifest(text);
  const layout = layoutManifests(archive);
  const hashed = new Map<string, string>();
  const images: PlannedImage[] = [];
  for (const item of items) {
    const configBuf = readDocument(archive, item.Config, 'image config');
    const config = parseConfig(configBuf, item.Config, item.Layers.length);
    const diffIds = config.rootfs!.diff_ids;
    const layers: PlannedLayer[] = [];
    for (const [i, path] of item.Layers.entries()) {
      const file = fileOf(archive, path, 'layer');
      let digest = hashed.get(file);
      if (!digest) hashed.set(file, (digest = await hashFile(file)));
      layers.push({
        path,
        file,
        digest,
        size: statSync(file).size,
        mediaType: layerMediaType(file),
        diffId: diffIds[i]!,
      });
    }
    const id = sha256(configBuf);
    const found = layout.find(
      (m) =>
        m.manifest.config.digest === id &&
        m.manifest.layers.length === layers.length &&
        m.manifest.layers.every((l, i) => l.digest === layers[i]!.digest),
    );
    if (found) found.manifest.layers.forEach((l, i) => (layers[i]!.mediaType = l.mediaType));
    images.push({
      id,
      configBuf,
      config,
      names: (item.RepoTags ?? []).map(repoTagName),
      layers,
      ...(found ? { manifest: { digest: found.digest, body: found.body }, top: found.top } : {}),
    });
  }
  return images;
}

/** The OCI layout way in (no manifest.json). */
function planOci(archive: ExtractedArchive, text: string): PlannedImage[] {
  const images: PlannedImage[] = [];
  for (const entry of parseIndex(text).manifests) {
    const found = followEntry(archive, entry as Descriptor);
    const m = found.manifest;
    const configBuf = readBlob(archive, m.config, 'image config');
    const config = parseConfig(configBuf, blobPath(m.config.digest), m.layers.length);
    const layers = m.layers.map((l, i): PlannedLayer => {
      const path = blobPath(l.digest);
      if (!/^sha256:[0-9a-f]{64}$/.test(l.digest))
        throw invalid(`layer ${l.digest} does not use a sha256 digest, which tsctr requires`);
      const file = fileOf(archive, path, 'layer');
      const size = statSync(file).size;
      if (size !== l.size)
        throw invalid(`layer ${path} has ${size} bytes, its descriptor says ${l.size}`);
      return {
        path,
        file,
        digest: l.digest,
        size,
        mediaType: l.mediaType,
        diffId: config.rootfs!.diff_ids[i]!,
      };
    });
    images.push({
      id: m.config.digest,
      configBuf,
      config,
      names: [annotationName(entry.annotations)].filter((n): n is string => !!n),
      layers,
      manifest: { digest: found.digest, body: found.body },
      top: found.top,
    });
  }
  return images;
}

/** Merges entries for the same image (one per tag, as index.json lists them). */
function merge(images: PlannedImage[]): PlannedImage[] {
  const byId = new Map<string, PlannedImage>();
  for (const img of images) {
    const seen = byId.get(img.id);
    if (!seen) byId.set(img.id, img);
    else seen.names = [...new Set([...seen.names, ...img.names])];
  }
  return [...byId.values()];
}

export async function planImages(archive: ExtractedArchive): Promise<PlannedImage[]> {
  const manifest = archive.resolve('manifest.json');
  if (manifest) return merge(await planDocker(archive, readFileSync(manifest, 'utf8')));
  const index = archive.resolve('index.json');
  if (index) return merge(planOci(archive, readFileSync(index, 'utf8')));
  const legacy = archive.resolve('repositories');
  throw new TsctrError(
    legacy
      ? 'the archive has no manifest.json: archives of docker before 1.10 are not supported'
      : 'the archive has neither manifest.json nor index.json: it is not an image archive',
    { hint: 'tsctr load reads what docker save, podman save and tsctr save write' },
  );
}
