/**
 * `pull`: resolve a name to its candidates and sources (registries.conf, mirrors), fetch the
 * manifest from the first source that serves it, pick the platform from an index, fetch and
 * verify the config, then download, verify and unpack the layers the store does not have —
 * several at once, each streamed straight into its layer writer. Nothing enters the store until
 * its digests are checked: the blob against the manifest, the tar against the config's diff_id.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { TsctrError } from '../errors.ts';
import type { StatePaths } from '../config/paths.ts';
import {
  canonicalName,
  familiarName,
  parseReference,
  withDefaultTag,
  type ImageReference,
} from '../registry/reference.ts';
import {
  MAX_MANIFEST,
  readLimited,
  RegistryHttpError,
  RegistryNetworkError,
  type RegistryClient,
} from '../registry/client.ts';
import {
  choosePlatform,
  classifyManifest,
  hostPlatform,
  manifestAccept,
  parsePlatform,
  platformMatches,
  platformString,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from '../registry/manifest.ts';
import { loadRegistriesConfig, type RegistriesConfig } from '../registry/registries-conf.ts';
import { pullSources, shortNameCandidates, type PullSource } from '../registry/sources.ts';
import { getCredentials } from '../registry/credentials.ts';
import { MirrorHealth } from '../registry/mirror-health.ts';
import { PullSources, type SourceEvent } from './pull-sources.ts';
import { ImageStore, type ImageConfigBody, type ImageRecord } from '../storage/store.ts';
import { LayerWriter, WriterPool } from '../storage/layer-writer.ts';
import { importLayer } from './layer-import.ts';
import { currentIdMap, type IdMap } from '../userns/idmap.ts';
import { FileLock } from '../storage/lock.ts';
import { Readable } from 'node:stream';
import { downloadBlob } from '../registry/blob-download.ts';
import { mapLimit, Semaphore } from './map-limit.ts';

export type PullEvent =
  | { kind: 'start'; ref: ImageReference; defaultTag: boolean }
  | {
      kind: 'layer';
      id: string;
      status: 'Already exists' | 'Pulling fs layer' | 'Waiting' | 'Pull complete';
    }
  | { kind: 'progress'; id: string; current: number; total: number }
  | { kind: 'done'; digest: string; upToDate: boolean; name: string }
  | SourceEvent;

export interface PullOptions {
  paths: StatePaths;
  onEvent?: (e: PullEvent) => void;
  /** Layers downloaded at once. */
  concurrency?: number;
  /** os/arch[/variant] (--platform); the host's by default. */
  platform?: string;
  /** false: --tls-verify=false for every source. */
  tlsVerify?: boolean;
  /** --authfile */
  authfile?: string;
  /** Loaded from the user's files when not given. */
  registries?: RegistriesConfig;
  /** -a: every tag of the repository. */
  allTags?: boolean;
}

const LAYER_CONCURRENCY = 3;

function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

function short(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/** Removes work directories left by pulls that were killed. */
async function cleanStale(store: ImageStore, idmap: IdMap): Promise<void> {
  const stale = store.staleTemps();
  if (!stale.length) return;
  const w = await LayerWriter.start(idmap);
  try {
    for (const d of stale) await w.remove(d);
  } finally {
    await w.close();
  }
}

export async function pullImage(input: string, opts: PullOptions): Promise<ImageRecord> {
  if (opts.allTags) return pullAllTags(input, opts);
  const parsed = parseReference(input);
  const emit = opts.onEvent ?? (() => undefined);
  const conf = opts.registries ?? loadRegistriesConfig();
  const candidates = shortNameCandidates(input, conf).refs.map(withDefaultTag);
  const want = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const store = new ImageStore(opts.paths);
  const idmap = currentIdMap();
  const health = new MirrorHealth(opts.paths.root);
  // Shared: pulls run side by side; image removal's garbage collection takes it exclusively,
  // so it never deletes a layer that a pull has just found present.
  const gcLock = await FileLock.acquire(store.lockPath('gc'), { exclusive: false });
  try {
    await cleanStale(store, idmap);
    let lastErr: unknown;
    for (const [n, ref] of candidates.entries()) {
      if (ref.digest && !ref.digest.startsWith('sha256:')) {
        throw new TsctrError(
          `cannot pull by ${ref.digest.split(':')[0]} digest: only sha256 is supported`,
          { hint: 'registries address content by sha256; use the sha256 digest of the manifest' },
        );
      }
      emit({ kind: 'start', ref, defaultTag: !parsed.tag && !parsed.digest });
      const sources = new PullSources(withLibraryFallback(pullSources(ref, conf), ref), {
        health,
        insecure: opts.tlsVerify === false,
        credentials: (registry, repository) =>
          getCredentials(registry, {
            repository,
            helpers: { names: conf.credentialHelpers, file: conf.credentialHelpersFile },
            ...(opts.authfile ? { authfile: opts.authfile } : {}),
          }),
        onEvent: (e) => emit(e),
      });
      try {
        const resolved = await sources.first((client, src) =>
          resolveImage(client, src.repository, ref, want, !!opts.platform, (digest) =>
            storedDocument(store, digest),
          ),
        );
        return await fetchImage(store, idmap, sources, ref, resolved, opts.concurrency, emit);
      } catch (err) {
        lastErr = err;
        // Search registries: a name one of them does not have is tried on the next.
        const notThere = err instanceof RegistryHttpError && [401, 403, 404].includes(err.status);
        if (!notThere || n === candidates.length - 1) throw err;
      } finally {
        await sources.close();
      }
    }
    throw lastErr;
  } finally {
    // Layers committed before a failure are synced all the same.
    store.syncLater();
    gcLock.release();
  }
}

/**
 * Docker Hub mirrors named in the reference (`docker.m.daocloud.io/nginx`) hold official images
 * under `library/`, as Docker Hub does; docker users type them without it. A one-component name
 * on another registry is therefore also tried as `library/NAME` when the registry lacks it.
 */
function withLibraryFallback(list: PullSource[], ref: ImageReference): PullSource[] {
  if (ref.domain === 'docker.io' || ref.path.includes('/')) return list;
  const extra = list
    .filter((s) => !s.mirror && !s.repository.includes('/'))
    .map((s) => ({ ...s, repository: `library/${s.repository}` }));
  return [...list, ...extra];
}

/** `pull -a`: every tag of one repository, one after the other, as docker does. */
async function pullAllTags(input: string, opts: PullOptions): Promise<ImageRecord> {
  const parsed = parseReference(input);
  if (parsed.tag || parsed.digest) {
    throw new TsctrError("tag can't be used with --all-tags/-a");
  }
  const conf = opts.registries ?? loadRegistriesConfig();
  const ref = shortNameCandidates(input, conf).refs[0]!;
  const sources = new PullSources(pullSources(ref, conf), {
    health: new MirrorHealth(opts.paths.root),
    insecure: opts.tlsVerify === false,
    credentials: (registry, repository) =>
      getCredentials(registry, {
        repository,
        helpers: { names: conf.credentialHelpers, file: conf.credentialHelpersFile },
        ...(opts.authfile ? { authfile: opts.authfile } : {}),
      }),
    onEvent: () => undefined,
  });
  let tags: string[];
  try {
    tags = await sources.first((client, src) => client.listTags(src.repository));
  } finally {
    await sources.close();
  }
  if (!tags.length) throw new TsctrError(`${familiarName(ref)} has no tags`);
  let last: ImageRecord | undefined;
  for (const tag of tags.sort()) {
    last = await pullImage(`${ref.domain}/${ref.path}:${tag}`, {
      ...opts,
      allTags: false,
      registries: conf,
    });
  }
  return last!;
}

interface ResolvedImage {
  /** The digest the user can pull again by (the index's when there is one). */
  manifestDigest: string;
  documents: { digest: string; body: Buffer }[];
  /** The platform's image manifest. */
  imageManifest: { digest: string; body: Buffer };
  manifest: ImageManifest;
  configBuf: Buffer;
  config: ImageConfigBody;
}

/**
 * A platform manifest or config the store already holds, when its bytes still have their
 * digest: docker, too, fetches no config it has (distribution/pull_v2.go), and tsctr fetches
 * no platform manifest it has either, so an image that is up to date costs one request, for
 * the tag's manifest. A blob larger than a document may be (a manifest naming a layer's digest
 * as its config) is not read; a damaged one is fetched again.
 */
function storedDocument(store: ImageStore, digest: string): Buffer | undefined {
  try {
    if (statSync(store.blobPath(digest)).size > MAX_MANIFEST) return undefined;
    const body = store.readBlob(digest);
    if (sha256(body) === digest) return body;
    store.dropBlob(digest);
    return undefined;
  } catch {
    return undefined;
  }
}

/** Fetches and verifies the manifest (choosing the platform from an index) and the config. */
async function resolveImage(
  client: RegistryClient,
  repo: string,
  ref: ImageReference,
  want: Platform,
  explicitPlatform: boolean,
  stored: (digest: string) => Buffer | undefined,
): Promise<ResolvedImage> {
  const name = canonicalName(ref);
  const top = await client.getManifest(repo, ref.digest ?? ref.tag!, manifestAccept);
  const topDigest = sha256(top.body);
  if (ref.digest && topDigest !== ref.digest) {
    throw new TsctrError(`manifest digest mismatch for ${name}: registry sent ${topDigest}`, {
      hint: 'the registry or something between it and you altered the manifest',
    });
  }
  const documents = [{ digest: topDigest, body: top.body }];
  let imageManifest = documents[0]!;
  let classified = classifyManifest(top.body, top.contentType, name);
  if (classified.kind === 'index') {
    const d = choosePlatform(classified.index, want, name);
    const kept = stored(d.digest);
    const sub = kept
      ? { body: kept, contentType: d.mediaType }
      : await client.getManifest(repo, d.digest, manifestAccept);
    if (sha256(sub.body) !== d.digest) {
      throw new TsctrError(
        `manifest digest mismatch for ${name}: expected ${d.digest}, got ${sha256(sub.body)}`,
      );
    }
    classified = classifyManifest(sub.body, sub.contentType, name);
    if (classified.kind !== 'image')
      throw new TsctrError(`${name}: an index inside an index is not supported`);
    imageManifest = { digest: d.digest, body: sub.body };
    documents.push(imageManifest);
  }
  const manifest: ImageManifest = classified.manifest;
  for (const l of manifest.layers) {
    if (l.urls?.length || /foreign|nondistributable/.test(l.mediaType)) {
      throw new TsctrError(
        `${name} has a foreign layer (${l.mediaType}), which tsctr does not download`,
      );
    }
  }
  // Through the same retry policy as layers: a 429 or a dropped connection on the config is
  // as likely as on any other blob.
  const configBuf =
    stored(manifest.config.digest) ??
    (await readLimited(
      downloadBlob(client, repo, manifest.config.digest),
      MAX_MANIFEST,
      `config of ${name}`,
    ));
  if (sha256(configBuf) !== manifest.config.digest) {
    throw new TsctrError(
      `config digest mismatch for ${name}: expected ${manifest.config.digest}, got ${sha256(configBuf)}`,
    );
  }
  let config: ImageConfigBody;
  try {
    config = JSON.parse(configBuf.toString('utf8')) as ImageConfigBody;
  } catch {
    throw new TsctrError(`the config of ${name} is not valid JSON`);
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new TsctrError(
      `${name}: the config lists ${diffIds.length} layers but the manifest ${manifest.layers.length}`,
    );
  }
  // docker refuses a single-platform image of another platform than the one asked for.
  if (explicitPlatform && documents.length === 1 && !platformMatches(config, want)) {
    throw new TsctrError(
      `image with reference ${familiarName(ref)} was found but does not match the specified platform: wanted ${platformString(want)}, actual: ${platformString({ os: config.os ?? '', architecture: config.architecture ?? '', ...(config.variant ? { variant: config.variant } : {}) })}`,
    );
  }
  return { manifestDigest: topDigest, documents, imageManifest, manifest, configBuf, config };
}

async function fetchImage(
  store: ImageStore,
  idmap: IdMap,
  sources: PullSources,
  ref: ImageReference,
  r: ResolvedImage,
  concurrency: number | undefined,
  emit: (e: PullEvent) => void,
): Promise<ImageRecord> {
  const name = canonicalName(ref);
  const { manifest, config, manifestDigest } = r;
  const diffIds = config.rootfs?.diff_ids ?? [];
  const id = manifest.config.digest;
  const existing = store.getImage(id);
  const known = ref.tag
    ? existing?.names.includes(name)
    : existing?.digests.includes(`${ref.domain}/${ref.path}@${manifestDigest}`);
  const usable = diffIds.map((d) => store.layerUsable(d));
  const complete = !!existing && usable.every(Boolean);
  const upToDate = !!known && complete;

  const todo: number[] = [];
  manifest.layers.forEach((l, i) => {
    if (usable[i]) {
      // docker shows no layers at all for an image it already has (under any name).
      if (!complete) emit({ kind: 'layer', id: short(l.digest), status: 'Already exists' });
    } else {
      todo.push(i);
      emit({ kind: 'layer', id: short(l.digest), status: 'Pulling fs layer' });
    }
  });
  // `concurrency` bounds downloads (registries throttle clients that open many). A layer gives
  // its slot back when its download ends, before its writer finishes, and a few more layers than
  // slots are in progress so the next download starts meanwhile. Largest first: the longest
  // layer bounds the pull, so it should not start last.
  const limit = concurrency ?? LAYER_CONCURRENCY;
  const downloads = new Semaphore(limit);
  const bySize = [...todo].sort((a, b) => manifest.layers[b]!.size - manifest.layers[a]!.size);
  // One writer process, with a lane per layer in progress, serves every layer.
  const writers = new WriterPool(idmap, Math.min(todo.length, limit + 1));
  try {
    await mapLimit(bySize, limit + 1, async (i) => {
      const desc = manifest.layers[i]!;
      const shortId = short(desc.digest);
      await sources.blob((client, src) =>
        fetchLayer(client, store, writers, src.repository, desc, diffIds[i]!, downloads, {
          onWait: () => emit({ kind: 'layer', id: shortId, status: 'Waiting' }),
          onBytes: (current) => emit({ kind: 'progress', id: shortId, current, total: desc.size }),
        }),
      );
      emit({ kind: 'layer', id: shortId, status: 'Pull complete' });
    });
  } finally {
    await writers.close();
  }

  // The documents as served, so push and save can send the same bytes (and digests).
  store.putBlob(id, r.configBuf);
  for (const d of r.documents) store.putBlob(d.digest, d.body);
  const digestName = `${ref.domain}/${ref.path}@${manifestDigest}`;
  const size = diffIds.reduce((n, d) => n + store.layerSize(d), 0);
  const rec = await store.withRecordLock(() =>
    store.saveImage({
      id,
      names: ref.tag ? [name.replace(/@sha256:[0-9a-f]+$/, '')] : [],
      digests: [digestName],
      manifestDigest,
      layers: diffIds,
      config,
      size,
      pulledAt: new Date().toISOString(),
      manifestBlob: r.imageManifest.digest,
      layerBlobs: manifest.layers.map((l) => ({
        mediaType: l.mediaType,
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  // Also the image's layers that a killed pull committed and never had synced.
  store.syncLater(diffIds);
  emit({ kind: 'done', digest: manifestDigest, upToDate, name });
  return rec;
}

/** `source`, started once a slot is free; the slot is given back when it ends or fails. */
async function* holding(
  slots: Semaphore,
  source: () => AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  const release = await slots.acquire();
  try {
    yield* source();
  } finally {
    release();
  }
}

/** Reports the bytes received so far, at most every 100 ms. */
async function* counted(
  source: AsyncIterable<Buffer>,
  onBytes?: (received: number) => void,
): AsyncGenerator<Buffer> {
  let n = 0;
  let last = 0;
  for await (const chunk of source) {
    n += chunk.length;
    const now = Date.now();
    if (onBytes && now - last >= 100) {
      last = now;
      onBytes(n);
    }
    yield chunk;
  }
  onBytes?.(n);
}

/**
 * Downloads one layer into the store, unless another pull is doing so: the layer's lock makes
 * a second pull wait and then find it present, so it is downloaded once and both succeed.
 */
async function fetchLayer(
  client: RegistryClient,
  store: ImageStore,
  writers: WriterPool,
  repo: string,
  desc: Descriptor,
  diffId: string,
  downloads: Semaphore,
  progress: { onWait: () => void; onBytes?: (received: number) => void },
): Promise<void> {
  const digest = desc.digest;
  await importLayer(
    store,
    writers,
    {
      diffId,
      digest,
      size: desc.size,
      open: () =>
        Readable.from(
          holding(downloads, () => counted(downloadBlob(client, repo, digest), progress.onBytes)),
        ),
    },
    {
      // What the registry answered (429, 5xx, unreachable) stays its own error: it is no
      // damaged blob, and the mirror policy in pull-sources.ts tells them apart.
      corrupt: (err) =>
        err instanceof RegistryHttpError || err instanceof RegistryNetworkError
          ? err
          : new TsctrError(`layer ${digest} failed verification: ${(err as Error).message}`, {
              cause: err,
              hint: 'nothing was stored; the download was truncated or the registry served a damaged blob — pull again',
            }),
      refused: (err) =>
        new TsctrError(`layer ${digest}: ${err.message}`, {
          cause: err,
          hint: `nothing was stored; ${err.hint ?? 'the image is malformed'}`,
        }),
      digest: (got) =>
        new TsctrError(
          `layer ${digest} failed verification: the registry sent content with digest ${got}`,
          {
            hint: 'nothing was stored; the registry or a proxy corrupted the blob — pull again or use another source',
          },
        ),
      diffId: (got) =>
        new TsctrError(
          `layer ${digest} does not match the image config: diff_id ${got}, expected ${diffId}`,
          { hint: 'nothing was stored; the image is inconsistent' },
        ),
    },
    progress.onWait,
  );
}
