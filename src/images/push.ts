/**
 * `push`: sends a local image to the registry its name points at, as dockerd does: the image
 * must be tagged with that name; each layer is checked (HEAD), mounted from another repository
 * of the same registry that the image came from, or uploaded; then the config, then the
 * manifest under the tag. What goes up are the blobs the store kept from the pull, byte for
 * byte, so the manifest digest stays the one the image was pulled by (for an image pulled
 * through an index, the digest of its platform's manifest: the index is not kept).
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import type { RegistryClient } from '../registry/client.ts';
import { endpointClient } from '../registry/endpoint.ts';
import {
  MediaType,
  parsePlatform,
  platformMatches,
  platformString,
  type Descriptor,
} from '../registry/manifest.ts';
import {
  familiarName,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from '../registry/reference.ts';
import { blobExists, mountBlob, pushScope, putManifest, uploadBlob } from '../registry/upload.ts';
import { FileLock } from '../storage/lock.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { mapLimit } from './map-limit.ts';

export type PushLayerStatus =
  'Preparing' | 'Waiting' | 'Pushed' | 'Layer already exists' | `Mounted from ${string}`;

export type PushEvent =
  /** `repository` is the full name: docker.io/library/busybox, 127.0.0.1:5000/app. */
  | { kind: 'start'; repository: string; defaultTag: boolean }
  | { kind: 'layer'; id: string; status: PushLayerStatus }
  | { kind: 'done'; tag: string; digest: string; size: number };

export interface PushOptions {
  paths: StatePaths;
  onEvent?: (e: PushEvent) => void;
  /** -a: every local tag of the repository. */
  allTags?: boolean;
  /** --platform: the image must be for it (tsctr keeps one platform per image). */
  platform?: string;
  authfile?: string;
  tlsVerify?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Layers sent at once. */
  concurrency?: number;
  /** Bytes per upload chunk (src/registry/upload.ts). */
  chunkSize?: number;
}

export interface PushResult {
  /** What `push -q` prints: the reference as docker's CLI normalised it. */
  name: string;
  pushed: { tag: string; digest: string }[];
}

const LAYER_CONCURRENCY = 3;
/** dockerd's maxMountAttempts. */
const MOUNT_ATTEMPTS = 3;

const short = (digest: string) => digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
const sha256 = (buf: Buffer) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;

/** The references `push` accepts, with docker's errors (cli/command/image/push.go). */
export function pushTarget(input: string, allTags: boolean): ImageReference {
  const parsed = parseReference(input);
  if (allTags && (parsed.tag || parsed.digest)) {
    throw new TsctrError("tag can't be used with --all-tags/-a");
  }
  if (parsed.digest) {
    throw new TsctrError('cannot push a digest reference', {
      hint: 'push by tag: tag the image first (tsctr tag IMAGE NAME:TAG)',
    });
  }
  return allTags ? parsed : withDefaultTag(parsed);
}

/** The local tags to push: [tag, image] for the name, or for every tag of its repository. */
export function localTags(
  images: readonly ImageRecord[],
  ref: ImageReference,
  allTags: boolean,
): [string, ImageRecord][] {
  const repo = `${ref.domain}/${ref.path}:`;
  const found: [string, ImageRecord][] = [];
  for (const img of images) {
    for (const n of img.names) if (n.startsWith(repo)) found.push([n.slice(repo.length), img]);
  }
  found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!found.length) {
    throw new TsctrError(`An image does not exist locally with the tag: ${repositoryName(ref)}`, {
      hint: `tag an image with that name first: tsctr tag IMAGE ${familiarName(withDefaultTag(ref))}`,
    });
  }
  if (allTags) return found;
  const one = found.filter(([tag]) => tag === ref.tag);
  if (!one.length) {
    throw new TsctrError(`tag does not exist: ${familiarName(ref)}`, {
      hint: `the local tags of ${repositoryName(ref)}: ${found.map(([t]) => t).join(', ')}`,
    });
  }
  return one;
}

/**
 * Other repositories on `domain` that hold the image's blobs: where it was pulled from or
 * pushed to (its digested and tagged names), the target itself left out.
 */
export function mountSources(rec: ImageRecord, domain: string, target: string): string[] {
  const out = new Set<string>();
  for (const n of [...rec.digests, ...rec.names]) {
    let r: ImageReference;
    try {
      r = parseReference(n);
    } catch {
      continue;
    }
    if (r.domain === domain && r.path !== target) out.add(r.path);
  }
  return [...out];
}

export async function pushImage(input: string, opts: PushOptions): Promise<PushResult> {
  const allTags = !!opts.allTags;
  const parsed = parseReference(input);
  const ref = pushTarget(input, allTags);
  const emit = opts.onEvent ?? (() => undefined);
  emit({
    kind: 'start',
    repository: `${ref.domain}/${ref.path}`,
    defaultTag: !allTags && !parsed.tag,
  });
  const store = new ImageStore(opts.paths);
  const tags = localTags(store.listImages(), ref, allTags);
  const want = opts.platform ? parsePlatform(opts.platform) : undefined;
  for (const [tag, rec] of tags) {
    const has = rec.config as { os?: string; architecture?: string; variant?: string };
    if (want && !platformMatches(has, want)) {
      const is = platformString({ os: has.os ?? '?', architecture: has.architecture ?? '?' });
      throw new TsctrError(
        `image ${familiarName({ ...ref, tag })} is for ${is}, not ${platformString(want)}`,
        { hint: 'tsctr keeps one platform per image; pull the platform you want to push' },
      );
    }
  }
  const client = endpointClient(ref.domain, {
    repository: ref.path,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.authfile ? { authfile: opts.authfile } : {}),
    ...(opts.tlsVerify === false ? { tlsVerify: false } : {}),
  });
  // Shared, as pulls hold it: garbage collection must not delete blobs being sent.
  const gcLock = await FileLock.acquire(store.lockPath('gc'), { exclusive: false });
  const pushed: { tag: string; digest: string }[] = [];
  try {
    for (const [tag, rec] of tags) {
      const { digest, size } = await pushTag(client, store, ref, tag, rec, opts, emit);
      pushed.push({ tag, digest });
      // dockerd records the digest the registry now knows the image by (RepoDigests).
      const name = `${ref.domain}/${ref.path}@${digest}`;
      await store.withRecordLock(() => {
        const cur = store.getImage(rec.id);
        if (cur && !cur.digests.includes(name)) {
          store.replaceImageRecord({ ...cur, digests: [...cur.digests, name] });
        }
      });
      emit({ kind: 'done', tag, digest, size });
    }
  } finally {
    gcLock.release();
    await client.close();
  }
  const name = allTags ? `${ref.domain}/${ref.path}` : `${ref.domain}/${ref.path}:${ref.tag}`;
  return { name, pushed };
}

interface StoredManifest {
  body: Buffer;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The manifest the image was pulled with, and the check that every blob it names is here. */
function storedManifest(store: ImageStore, rec: ImageRecord, name: string): StoredManifest {
  const again = `pull it again (tsctr pull ${name}), or pull the image it was tagged from, then push`;
  if (!rec.manifestBlob) {
    throw new TsctrError(`${name} has no stored registry manifest, so it cannot be pushed as is`, {
      hint: `tsctr keeps the registry's manifest and blobs of images it pulls; this image was stored without them: ${again}`,
    });
  }
  const body = store.readBlob(rec.manifestBlob);
  if (sha256(body) !== rec.manifestBlob) {
    throw new TsctrError(`the stored manifest of ${name} is damaged`, { hint: again });
  }
  const doc = JSON.parse(body.toString('utf8')) as {
    mediaType?: string;
    config: Descriptor;
    layers: Descriptor[];
  };
  for (const d of [doc.config, ...doc.layers]) {
    let size: number;
    try {
      size = statSync(store.blobPath(d.digest)).size;
    } catch {
      throw new TsctrError(`blob ${d.digest} of ${name} is missing from the store`, {
        hint: again,
      });
    }
    if (size !== d.size) {
      throw new TsctrError(
        `blob ${d.digest} of ${name} has ${size} bytes in the store, its manifest says ${d.size}`,
        { hint: again },
      );
    }
  }
  return {
    body,
    // An OCI manifest may leave its mediaType out; distribution then needs the header.
    mediaType: doc.mediaType ?? MediaType.OciManifest,
    config: doc.config,
    layers: doc.layers,
  };
}

async function pushTag(
  client: RegistryClient,
  store: ImageStore,
  ref: ImageReference,
  tag: string,
  rec: ImageRecord,
  opts: PushOptions,
  emit: (e: PushEvent) => void,
): Promise<{ digest: string; size: number }> {
  const name = familiarName({ ...ref, tag });
  const manifest = storedManifest(store, rec, name);
  const sources = mountSources(rec, ref.domain, ref.path);
  const send = (d: Descriptor, absent = false) =>
    pushBlob(client, store, ref.path, d, sources, opts.chunkSize, absent);

  // A layer listed twice is sent once.
  const layers = [...new Map(manifest.layers.map((l) => [l.digest, l])).values()];
  for (const l of layers) emit({ kind: 'layer', id: short(l.digest), status: 'Preparing' });
  // One request before the parallel ones, so that they find the registry's authentication
  // settled (the Basic credentials or a token) instead of each answering a challenge.
  const configThere = await blobExists(client, ref.path, manifest.config.digest);
  await mapLimit(layers, opts.concurrency ?? LAYER_CONCURRENCY, async (l) => {
    emit({ kind: 'layer', id: short(l.digest), status: await send(l) });
  });
  if (!configThere) await send(manifest.config, true);
  const digest = sha256(manifest.body);
  const told = await putManifest(client, ref.path, tag, manifest.body, manifest.mediaType);
  if (told && told !== digest) {
    throw new TsctrError(
      `the registry stored the manifest of ${name} as ${told}, tsctr sent ${digest}`,
      { hint: 'the registry rewrote the manifest; pulls by the old digest will fail there' },
    );
  }
  return { digest, size: manifest.body.length };
}

/** One blob: present already, mounted from another repository of the registry, or uploaded. */
async function pushBlob(
  client: RegistryClient,
  store: ImageStore,
  repo: string,
  desc: Descriptor,
  sources: string[],
  chunkSize: number | undefined,
  /** Already checked: the repository lacks it. */
  absent: boolean,
): Promise<PushLayerStatus> {
  if (!absent && (await blobExists(client, repo, desc.digest))) return 'Layer already exists';
  let location: string | undefined;
  const tries = sources.slice(0, MOUNT_ATTEMPTS);
  for (const [i, from] of tries.entries()) {
    const m = await mountBlob(client, repo, desc.digest, from);
    if (m.mounted) return `Mounted from ${from}`;
    if (!m.location) continue;
    if (i === tries.length - 1) location = m.location;
    else await cancelUpload(client, repo, m.location);
  }
  const path = store.blobPath(desc.digest);
  await uploadBlob(
    client,
    repo,
    {
      digest: desc.digest,
      size: desc.size,
      open: (start, end) => createReadStream(path, { start, end }),
    },
    { ...(chunkSize ? { chunkSize } : {}), ...(location ? { location } : {}) },
  );
  return 'Pushed';
}

/** Drops an upload session a refused mount opened; the registry would expire it anyway. */
async function cancelUpload(client: RegistryClient, repo: string, location: string) {
  try {
    const res = await client.fetch('DELETE', location, {}, pushScope(repo));
    await res.body.dump();
  } catch {
    // Best effort only.
  }
}
