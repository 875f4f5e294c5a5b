/**
 * `pull`: resolve a reference on its registry, pick the host's platform from an index, fetch and
 * verify the config, then download, verify and unpack the layers the store does not have —
 * several at once, each streamed straight into its layer writer. Nothing enters the store until
 * its digests are checked: the blob against the manifest, the tar against the config's diff_id.
 */
import { createHash } from 'node:crypto';
import { TsctrError } from '../errors.ts';
import type { StatePaths } from '../config/paths.ts';
import {
  canonicalName,
  parseReference,
  withDefaultTag,
  type ImageReference,
} from '../registry/reference.ts';
import { MAX_MANIFEST, readLimited, RegistryClient } from '../registry/client.ts';
import {
  choosePlatform,
  classifyManifest,
  hostPlatform,
  manifestAccept,
  type Descriptor,
  type ImageManifest,
} from '../registry/manifest.ts';
import { ImageStore, type ImageConfigBody, type ImageRecord } from '../storage/store.ts';
import { LayerWriter } from '../storage/layer-writer.ts';
import { unpackLayer } from '../storage/unpack.ts';
import { currentIdMap, type IdMap } from '../runtime/idmap.ts';

export type PullEvent =
  | { kind: 'start'; ref: ImageReference; defaultTag: boolean }
  | { kind: 'layer'; id: string; status: 'Already exists' | 'Pulling fs layer' | 'Pull complete' }
  | { kind: 'done'; digest: string; upToDate: boolean; name: string };

export interface PullOptions {
  paths: StatePaths;
  onEvent?: (e: PullEvent) => void;
  /** Layers downloaded at once. */
  concurrency?: number;
}

const LAYER_CONCURRENCY = 3;

function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

function short(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
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
  const parsed = parseReference(input);
  const ref = withDefaultTag(parsed);
  const emit = opts.onEvent ?? (() => undefined);
  emit({ kind: 'start', ref, defaultTag: !parsed.tag && !parsed.digest });
  if (ref.digest && !ref.digest.startsWith('sha256:')) {
    throw new TsctrError(
      `cannot pull by ${ref.digest.split(':')[0]} digest: only sha256 is supported`,
      {
        hint: 'registries address content by sha256; use the sha256 digest of the manifest',
      },
    );
  }
  const store = new ImageStore(opts.paths);
  const client = new RegistryClient(ref.domain);
  const idmap = currentIdMap();
  try {
    await cleanStale(store, idmap);
    const name = canonicalName(ref);
    const top = await client.getManifest(ref.path, ref.digest ?? ref.tag!, manifestAccept);
    const topDigest = sha256(top.body);
    if (ref.digest && topDigest !== ref.digest) {
      throw new TsctrError(`manifest digest mismatch for ${name}: registry sent ${topDigest}`, {
        hint: 'the registry or something between it and you altered the manifest',
      });
    }
    let manifestDigest = topDigest;
    let classified = classifyManifest(top.body, top.contentType, name);
    if (classified.kind === 'index') {
      const d = choosePlatform(classified.index, hostPlatform(), name);
      const sub = await client.getManifest(ref.path, d.digest, manifestAccept);
      if (sha256(sub.body) !== d.digest) {
        throw new TsctrError(
          `manifest digest mismatch for ${name}: expected ${d.digest}, got ${sha256(sub.body)}`,
        );
      }
      classified = classifyManifest(sub.body, sub.contentType, name);
      if (classified.kind !== 'image')
        throw new TsctrError(`${name}: an index inside an index is not supported`);
      // docker reports the digest the user can pull again by: the index's.
      manifestDigest = topDigest;
    }
    const manifest: ImageManifest = classified.manifest;
    for (const l of manifest.layers) {
      if (l.urls?.length || /foreign|nondistributable/.test(l.mediaType)) {
        throw new TsctrError(
          `${name} has a foreign layer (${l.mediaType}), which tsctr does not download`,
        );
      }
    }

    const configBuf = await readLimited(
      await client.getBlob(ref.path, manifest.config.digest),
      MAX_MANIFEST,
      `config of ${name}`,
    );
    if (sha256(configBuf) !== manifest.config.digest) {
      throw new TsctrError(
        `config digest mismatch for ${name}: expected ${manifest.config.digest}, got ${sha256(configBuf)}`,
      );
    }
    const config = JSON.parse(configBuf.toString('utf8')) as ImageConfigBody;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new TsctrError(
        `${name}: the config lists ${diffIds.length} layers but the manifest ${manifest.layers.length}`,
      );
    }
    const id = manifest.config.digest;
    const existing = store.getImage(id);
    const known = ref.tag
      ? existing?.names.includes(name)
      : existing?.digests.includes(`${ref.domain}/${ref.path}@${manifestDigest}`);
    const upToDate = !!known && diffIds.every((d) => store.hasLayer(d));

    const todo: number[] = [];
    manifest.layers.forEach((l, i) => {
      if (store.hasLayer(diffIds[i]!))
        emit({ kind: 'layer', id: short(l.digest), status: 'Already exists' });
      else {
        todo.push(i);
        emit({ kind: 'layer', id: short(l.digest), status: 'Pulling fs layer' });
      }
    });
    await mapLimit(todo, opts.concurrency ?? LAYER_CONCURRENCY, async (i) => {
      const desc = manifest.layers[i]!;
      await fetchLayer(client, store, idmap, ref.path, desc, diffIds[i]!);
      emit({ kind: 'layer', id: short(desc.digest), status: 'Pull complete' });
    });

    const digestName = `${ref.domain}/${ref.path}@${manifestDigest}`;
    const size = diffIds.reduce((n, d) => n + store.layerSize(d), 0);
    const rec = store.saveImage({
      id,
      names: ref.tag ? [name.replace(/@sha256:[0-9a-f]+$/, '')] : [],
      digests: [digestName],
      manifestDigest,
      layers: diffIds,
      config,
      size,
      pulledAt: new Date().toISOString(),
    });
    emit({ kind: 'done', digest: manifestDigest, upToDate, name });
    return rec;
  } finally {
    await client.close();
  }
}

async function fetchLayer(
  client: RegistryClient,
  store: ImageStore,
  idmap: IdMap,
  repo: string,
  desc: Descriptor,
  diffId: string,
): Promise<void> {
  const digest = desc.digest;
  const temp = store.newTemp();
  const writer = await LayerWriter.start(idmap);
  let committed = false;
  try {
    const blob = await client.getBlob(repo, digest);
    const got = await unpackLayer(blob, `${temp}/diff`, writer, desc.size).catch((err: unknown) => {
      throw new TsctrError(`layer ${digest} failed verification: ${(err as Error).message}`, {
        cause: err,
        hint: 'nothing was stored; the download was truncated or the registry served a damaged blob — pull again',
      });
    });
    if (got.digest !== digest) {
      throw new TsctrError(
        `layer ${digest} failed verification: the registry sent content with digest ${got.digest}`,
        {
          hint: 'nothing was stored; the registry or a proxy corrupted the blob — pull again or use another source',
        },
      );
    }
    if (got.diffId !== diffId) {
      throw new TsctrError(
        `layer ${digest} does not match the image config: diff_id ${got.diffId}, expected ${diffId}`,
        {
          hint: 'nothing was stored; the image is inconsistent',
        },
      );
    }
    committed = store.commitLayer(temp, diffId, got.size);
  } finally {
    if (!committed) await writer.remove(temp).catch(() => undefined);
    await writer.close();
  }
}
