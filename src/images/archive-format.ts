/**
 * The documents of image archives, as docker and podman write and read them:
 *
 *   manifest.json   docker's list of images: Config, RepoTags (familiar names), Layers (paths)
 *   repositories    docker's legacy { repo: { tag: top layer } } map, kept for old readers
 *   index.json      an OCI image index; each entry names its image in annotations:
 *                   org.opencontainers.image.ref.name and containerd's io.containerd.image.name
 *   oci-layout      { "imageLayoutVersion": "1.0.0" }
 *
 * Docker ≥ 25 writes all four in one archive (an OCI layout that docker's older loaders read
 * through manifest.json); podman's docker-archive has the first two, its oci-archive the last
 * two. Pure functions: parsing, validation and generation, no files.
 */
import { TsctrError } from '../errors.ts';
import { MediaType } from '../registry/manifest.ts';
import {
  canonicalName,
  familiarName,
  parseReference,
  repositoryName,
  withDefaultTag,
} from '../registry/reference.ts';

export const OCI_LAYOUT = '{"imageLayoutVersion": "1.0.0"}';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

export const OciLayerType = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export type Compression = keyof typeof OciLayerType;

/** One entry of docker's manifest.json. */
export interface DockerManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

export interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: IndexEntry[];
}

function malformed(file: string, why: string): TsctrError {
  return new TsctrError(`invalid ${file} in the archive: ${why}`, {
    hint: 'the archive is damaged or was not written by docker save, podman save or tsctr save',
  });
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformed(file, (err as Error).message);
  }
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Parses and checks docker's manifest.json. */
export function parseDockerManifest(text: string): DockerManifestItem[] {
  const doc = parseJson('manifest.json', text);
  if (!Array.isArray(doc)) throw malformed('manifest.json', 'not a JSON array');
  return doc.map((item: unknown, i) => {
    const o = item as Partial<Record<keyof DockerManifestItem, unknown>> | null;
    if (typeof o !== 'object' || o === null) throw malformed('manifest.json', `entry ${i}`);
    if (typeof o.Config !== 'string' || !o.Config)
      throw malformed('manifest.json', `entry ${i} has no Config`);
    if (!isStringArray(o.Layers)) throw malformed('manifest.json', `entry ${i} has no Layers`);
    if (o.RepoTags != null && !isStringArray(o.RepoTags))
      throw malformed('manifest.json', `entry ${i} has invalid RepoTags`);
    return { Config: o.Config, RepoTags: o.RepoTags ?? null, Layers: o.Layers };
  });
}

/** Parses and checks an OCI index (index.json, or a nested index blob). */
export function parseIndex(text: string, file = 'index.json'): OciIndex {
  const doc = parseJson(file, text) as Partial<OciIndex> | null;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.manifests))
    throw malformed(file, 'no manifests list');
  for (const [i, d] of doc.manifests.entries()) {
    if (typeof d?.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.digest)) {
      throw malformed(file, `entry ${i} has no sha256 digest`);
    }
    if (d.annotations != null && typeof d.annotations !== 'object')
      throw malformed(file, `entry ${i} has invalid annotations`);
  }
  return doc as OciIndex;
}

/**
 * The canonical name a manifest.json RepoTag gives ("busybox:latest" →
 * "docker.io/library/busybox:latest"), as docker's loader reads it.
 */
export function repoTagName(tag: string): string {
  let ref;
  try {
    ref = parseReference(tag);
  } catch (err) {
    throw malformed(
      'manifest.json',
      `invalid tag ${JSON.stringify(tag)}: ${(err as Error).message}`,
    );
  }
  if (ref.digest) throw malformed('manifest.json', `tag ${JSON.stringify(tag)} has a digest`);
  return canonicalName(withDefaultTag(ref));
}

/**
 * The canonical name an index.json entry gives, or undefined. containerd's annotation holds a
 * full name and wins, as in podman and containerd. The OCI ref.name is a full name when podman
 * or skopeo wrote it, but a bare tag ("latest") when docker or skopeo's oci:DIR:TAG did: a tag
 * alone names no repository, so it gives no name.
 */
export function annotationName(
  annotations: Record<string, string> | undefined,
): string | undefined {
  const full = annotations?.[ANNOTATION_IMAGE_NAME];
  const ref = annotations?.[ANNOTATION_REF_NAME];
  const candidate = full || (ref && /[/:]/.test(ref) ? ref : undefined);
  if (!candidate) return undefined;
  let parsed;
  try {
    parsed = parseReference(candidate);
  } catch (err) {
    throw malformed(
      'index.json',
      `invalid image name ${JSON.stringify(candidate)}: ${(err as Error).message}`,
    );
  }
  // A digest reference is no tag: the image is loaded untagged, as docker does.
  if (parsed.digest) return undefined;
  return canonicalName(withDefaultTag(parsed));
}

/** The familiar form docker prints ("busybox:latest"). */
export function familiar(canonical: string): string {
  return familiarName(parseReference(canonical));
}

/** Compression from a blob's first bytes (the docker rule: bytes, not the media type). */
export function sniffCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export interface SavedImage {
  configPath: string;
  layerPaths: string[];
  /** Canonical tagged names written for this image; none for an image saved by ID. */
  names: string[];
  /** diff_id of the top layer, for `repositories`. */
  topDiffId: string;
}

/** docker's manifest.json: RepoTags in familiar form, null when the image has none. */
export function dockerManifest(images: readonly SavedImage[]): string {
  const items: DockerManifestItem[] = images.map((i) => ({
    Config: i.configPath,
    RepoTags: i.names.length ? i.names.map(familiar) : null,
    Layers: i.layerPaths,
  }));
  return `${JSON.stringify(items)}\n`;
}

/** docker's legacy `repositories`: familiar repository → tag → hex of the top layer. */
export function repositoriesFile(images: readonly SavedImage[]): string | undefined {
  const repos: Record<string, Record<string, string>> = {};
  for (const i of images) {
    for (const n of i.names) {
      const ref = parseReference(n);
      (repos[repositoryName(ref)] ??= {})[ref.tag ?? 'latest'] = i.topDiffId.slice(7);
    }
  }
  return Object.keys(repos).length ? `${JSON.stringify(repos)}\n` : undefined;
}

export interface IndexImage {
  manifest: { mediaType: string; digest: string; size: number };
  platform: { architecture?: string; os?: string; variant?: string };
  names: string[];
}

/**
 * index.json with one entry per name (and one without annotations for an image with none).
 * `style` 'docker' writes docker's annotations (ref.name is the tag); 'podman' puts the full
 * name in ref.name, as podman and skopeo do, with containerd's annotation beside it.
 */
export function ociIndex(images: readonly IndexImage[], style: 'docker' | 'podman'): string {
  const manifests: IndexEntry[] = [];
  for (const i of images) {
    const base = { ...i.manifest, platform: i.platform };
    if (!i.names.length) manifests.push(base);
    for (const n of i.names) {
      const tag = parseReference(n).tag ?? 'latest';
      manifests.push({
        ...base,
        annotations: {
          [ANNOTATION_IMAGE_NAME]: n,
          [ANNOTATION_REF_NAME]: style === 'docker' ? tag : n,
        },
      });
    }
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  return JSON.stringify(index);
}

/** The OCI manifest load writes for an image that came without one (docker-archive). */
export function synthesizeManifest(
  config: { digest: string; size: number },
  layers: readonly { mediaType: string; digest: string; size: number }[],
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
}
