/**
 * `save`: images (with their tags) into one tar archive, on stdout or in a file.
 *
 * The default is what docker ≥ 25 writes: an OCI image layout (oci-layout, index.json with
 * docker's annotations, blobs/sha256/…) that also has docker's manifest.json and repositories,
 * so docker load, podman load and containerd all read it. podman's --format values give
 * podman's two archives: docker-archive (manifest.json, repositories, <hex>.json, <hex>.tar)
 * and oci-archive (the OCI layout alone, with the full name in ref.name as podman writes it).
 *
 * Blobs go out exactly as stored (as pulled, compressed or not), so digests survive a
 * save → load → push. Both docker and podman sniff each layer's compression when loading.
 */
import { existsSync, openSync, closeSync, fsyncSync, renameSync, rmSync, statSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError, fromSystemError } from '../errors.ts';
import { MediaType } from '../registry/manifest.ts';
import { canonicalName, parseReference, type ImageReference } from '../registry/reference.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { FileLock } from '../storage/lock.ts';
import { resolveImage } from './resolve.ts';
import {
  OCI_LAYOUT,
  dockerManifest,
  familiar,
  ociIndex,
  repositoriesFile,
  type IndexImage,
  type SavedImage,
} from './archive-format.ts';
import { TarWriter } from './tar-writer.ts';

export const SAVE_FORMATS = ['docker-archive', 'oci-archive'] as const;

export interface SaveOptions {
  paths: StatePaths;
  names: readonly string[];
  /** podman's --format: docker-archive or oci-archive; unset: docker's combined archive. */
  format?: string;
  /** -o: a file, written to a temp file beside it and renamed in; unset: `stdout`. */
  output?: string;
  /** The CLI's standard output, which this module does not touch itself (src/cli/stdio.ts). */
  stdout?: { terminal(): boolean; open(): Writable };
}

export interface SaveSelection {
  rec: ImageRecord;
  /** Canonical tagged names to write for it, in the order given. */
  names: string[];
}

/**
 * Which images and names to save, as dockerd's tarexporter parses them: a name:tag saves that
 * tag; a name without tag saves every tag of that repository; an ID or name@digest saves the
 * image without a tag. An image named twice is saved once, with both names.
 */
export function selectImages(images: readonly ImageRecord[], inputs: readonly string[]) {
  const out = new Map<string, SaveSelection>();
  const add = (rec: ImageRecord, name?: string) => {
    const sel = out.get(rec.id) ?? { rec, names: [] };
    out.set(rec.id, sel);
    if (name && !sel.names.includes(name)) sel.names.push(name);
  };
  for (const input of inputs) {
    let ref: ImageReference | undefined;
    if (!/^(sha256:)?[0-9a-f]{64}$/.test(input)) ref = parseReference(input);
    if (ref && !ref.tag && !ref.digest) {
      const prefix = `${ref.domain}/${ref.path}:`;
      const tagged = images.flatMap((i) =>
        i.names.filter((n) => n.startsWith(prefix)).map((n) => [i, n] as const),
      );
      for (const [i, n] of tagged.sort((a, b) => (a[1] < b[1] ? -1 : 1))) add(i, n);
      if (tagged.length) continue;
    }
    const rec = resolveImage(images, input);
    add(rec, ref?.tag && !ref.digest ? canonicalName(ref) : undefined);
  }
  return [...out.values()];
}

interface Blob {
  digest: string;
  size: number;
}

interface Plan {
  blobs: Map<string, Blob>;
  saved: SavedImage[];
  index: IndexImage[];
}

function manifestType(body: Buffer): string {
  const doc = JSON.parse(body.toString('utf8')) as {
    mediaType?: string;
    config?: { mediaType?: string };
  };
  if (doc.mediaType) return doc.mediaType;
  return doc.config?.mediaType?.startsWith('application/vnd.docker.')
    ? MediaType.DockerManifest
    : MediaType.OciManifest;
}

function plan(store: ImageStore, selected: readonly SaveSelection[]): Plan {
  const blobs = new Map<string, Blob>();
  const addBlob = (digest: string) => {
    if (blobs.has(digest)) return blobs.get(digest)!;
    let size: number;
    try {
      size = statSync(store.blobPath(digest)).size;
    } catch (err) {
      throw fromSystemError(
        `blob ${digest} is missing from the store`,
        err,
        'pull the image again',
      );
    }
    const b = { digest, size };
    blobs.set(digest, b);
    return b;
  };
  const saved: SavedImage[] = [];
  const index: IndexImage[] = [];
  for (const { rec, names } of selected) {
    const complete =
      rec.manifestBlob &&
      rec.layerBlobs?.length === rec.layers.length &&
      [rec.id, rec.manifestBlob, ...rec.layerBlobs.map((l) => l.digest)].every((d) =>
        store.hasBlob(d),
      );
    if (!complete) {
      const shown = names[0] ? familiar(names[0]) : rec.id;
      throw new TsctrError(
        `cannot save ${shown}: the store has its layers but not its blobs as pulled`,
        {
          hint: 'images pulled by an older tsctr lack them; pull the image again, then save it',
        },
      );
    }
    addBlob(rec.id);
    const manifest = addBlob(rec.manifestBlob!);
    const layers = rec.layerBlobs!.map((l) => addBlob(l.digest));
    const hex = (d: string) => d.slice(7);
    saved.push({
      configPath: `blobs/sha256/${hex(rec.id)}`,
      layerPaths: layers.map((l) => `blobs/sha256/${hex(l.digest)}`),
      names,
      topDiffId: rec.layers.at(-1) ?? rec.id,
    });
    const { architecture, os } = rec.config;
    const variant = (rec.config as { variant?: string }).variant;
    index.push({
      manifest: {
        mediaType: manifestType(store.readBlob(rec.manifestBlob!)),
        digest: manifest.digest,
        size: manifest.size,
      },
      platform: { architecture, os, ...(variant ? { variant } : {}) },
      names,
    });
  }
  return { blobs, saved, index };
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : 1);

/** Writes the archive's entries, in the sorted order docker's directory walk gives them. */
async function writeArchive(
  store: ImageStore,
  p: Plan,
  format: string | undefined,
  tar: TarWriter,
): Promise<void> {
  const hex = (d: string) => d.slice(7);
  const docs: { name: string; body: string }[] = [];
  const files: { name: string; blob: Blob }[] = [];
  if (format === 'docker-archive') {
    // podman's layout: the config as <hex>.json, each layer as <hex>.tar.
    const configs = new Set(p.saved.map((s) => s.configPath));
    const rename = (path: string) =>
      `${path.slice('blobs/sha256/'.length)}${configs.has(path) ? '.json' : '.tar'}`;
    for (const b of p.blobs.values()) {
      const path = `blobs/sha256/${hex(b.digest)}`;
      if (configs.has(path) || p.saved.some((s) => s.layerPaths.includes(path)))
        files.push({ name: rename(path), blob: b });
    }
    const saved = p.saved.map((s) => ({
      ...s,
      configPath: rename(s.configPath),
      layerPaths: s.layerPaths.map(rename),
    }));
    docs.push({ name: 'manifest.json', body: dockerManifest(saved) });
    const repos = repositoriesFile(saved);
    if (repos) docs.push({ name: 'repositories', body: repos });
  } else {
    for (const b of p.blobs.values())
      files.push({ name: `blobs/sha256/${hex(b.digest)}`, blob: b });
    docs.push({ name: 'oci-layout', body: OCI_LAYOUT });
    if (format === 'oci-archive') {
      docs.push({ name: 'index.json', body: ociIndex(p.index, 'podman') });
    } else {
      docs.push({ name: 'index.json', body: ociIndex(p.index, 'docker') });
      docs.push({ name: 'manifest.json', body: dockerManifest(p.saved) });
      const repos = repositoriesFile(p.saved);
      if (repos) docs.push({ name: 'repositories', body: repos });
    }
  }
  if (format !== 'docker-archive') {
    await tar.dir('blobs');
    await tar.dir('blobs/sha256');
  }
  const entries = [
    ...files.map((f) => ({ name: f.name, blob: f.blob, body: undefined })),
    ...docs.map((d) => ({ name: d.name, blob: undefined, body: d.body })),
  ].sort(byName);
  for (const e of entries) {
    if (e.blob)
      await tar.fileFrom(e.name, store.blobPath(e.blob.digest), e.blob.size, e.blob.digest);
    else await tar.file(e.name, Buffer.from(e.body!));
  }
}

function checkFormat(format: string | undefined): void {
  if (format === undefined || (SAVE_FORMATS as readonly string[]).includes(format)) return;
  throw new TsctrError(`unsupported format ${JSON.stringify(format)} for image save`, {
    hint: `use one of ${SAVE_FORMATS.join(', ')}, or leave --format out for docker's archive`,
  });
}

export async function saveImages(opts: SaveOptions): Promise<void> {
  checkFormat(opts.format);
  const { stdout } = opts;
  if (opts.output === undefined && (!stdout || stdout.terminal())) {
    // docker's words: a tar on a terminal is noise at best.
    throw new TsctrError('cowardly refusing to save to a terminal. Use the -o flag or redirect', {
      hint: 'tsctr save -o image.tar IMAGE, or tsctr save IMAGE > image.tar',
    });
  }
  if (opts.output !== undefined && !existsSync(dirname(opts.output))) {
    throw new TsctrError(
      `failed to save image: invalid output path: directory ${JSON.stringify(dirname(opts.output))} does not exist`,
    );
  }
  const store = new ImageStore(opts.paths);
  // Shared, as pulls hold it: image removal cannot collect a blob while it is being written.
  const gcLock = await FileLock.acquire(store.lockPath('gc'), { exclusive: false });
  try {
    const p = plan(store, selectImages(store.listImages(), opts.names));
    if (opts.output === undefined) {
      const tar = new TarWriter(stdout!.open());
      try {
        await writeArchive(store, p, opts.format, tar);
        await tar.end(false);
      } catch (err) {
        throw fromSystemError('failed to save image', err);
      }
      return;
    }
    await writeFile(opts.output, (out) => writeArchive(store, p, opts.format, out));
  } finally {
    gcLock.release();
  }
}

/** As docker's CopyToFile: a temp file in the target's directory, renamed in when complete. */
async function writeFile(output: string, fill: (tar: TarWriter) => Promise<void>): Promise<void> {
  const temp = join(
    dirname(output),
    `.${basename(output)}.tsctr-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
  let out: Writable;
  try {
    out = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
  } catch (err) {
    throw fromSystemError('failed to save image', err);
  }
  try {
    const tar = new TarWriter(out);
    await fill(tar);
    await tar.end(true);
    const fd = openSync(temp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, output);
  } catch (err) {
    out.destroy();
    rmSync(temp, { force: true });
    throw fromSystemError('failed to save image', err);
  }
}
