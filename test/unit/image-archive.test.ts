/**
 * The pure parts of save and load: docker's manifest.json and repositories, OCI index.json
 * with its annotations, which images and names a save selects, member path normalisation,
 * and the tar stream the writer produces.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import {
  annotationName,
  dockerManifest,
  ociIndex,
  parseDockerManifest,
  parseIndex,
  repoTagName,
  repositoriesFile,
  sniffCompression,
  synthesizeManifest,
} from '../../src/images/archive-format.ts';
import { archivePath } from '../../src/images/archive-extract.ts';
import { selectImages } from '../../src/images/save.ts';
import { TarWriter } from '../../src/images/tar-writer.ts';
import type { ImageRecord } from '../../src/storage/store.ts';
import { sha256Digest } from '../fixtures/digest.ts';

const ID_A = `sha256:${'a'.repeat(64)}`;
const ID_B = `sha256:${'b'.repeat(64)}`;
const TOP = `sha256:${'c'.repeat(64)}`;

function record(id: string, names: string[], over: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id,
    names,
    digests: [],
    manifestDigest: id,
    layers: [TOP],
    config: { architecture: 'amd64', os: 'linux' },
    size: 1,
    pulledAt: '2024-01-01T00:00:00Z',
    ...over,
  };
}

describe("docker's manifest.json", () => {
  it('parses entries, with RepoTags null or absent', () => {
    const text = JSON.stringify([
      { Config: 'a.json', RepoTags: ['busybox:latest'], Layers: ['x/layer.tar'] },
      { Config: 'blobs/sha256/b', RepoTags: null, Layers: [], LayerSources: {} },
      { Config: 'c.json', Layers: ['y'] },
    ]);
    expect(parseDockerManifest(text)).toEqual([
      { Config: 'a.json', RepoTags: ['busybox:latest'], Layers: ['x/layer.tar'] },
      { Config: 'blobs/sha256/b', RepoTags: null, Layers: [] },
      { Config: 'c.json', RepoTags: null, Layers: ['y'] },
    ]);
  });

  it('refuses what is not a list of images', () => {
    expect(() => parseDockerManifest('{')).toThrow(/^invalid manifest.json in the archive/);
    expect(() => parseDockerManifest('{}')).toThrow('not a JSON array');
    expect(() => parseDockerManifest('[{"Layers":[]}]')).toThrow('entry 0 has no Config');
    expect(() => parseDockerManifest('[{"Config":"a","Layers":[1]}]')).toThrow('no Layers');
    expect(() => parseDockerManifest('[{"Config":"a","Layers":[],"RepoTags":"x"}]')).toThrow(
      'invalid RepoTags',
    );
  });

  it('reads RepoTags as docker normalises them', () => {
    expect(repoTagName('busybox:latest')).toBe('docker.io/library/busybox:latest');
    expect(repoTagName('busybox')).toBe('docker.io/library/busybox:latest');
    expect(repoTagName('127.0.0.1:5000/a/b:v1')).toBe('127.0.0.1:5000/a/b:v1');
    expect(() => repoTagName('Bad:x')).toThrow(/invalid tag "Bad:x"/);
    expect(() => repoTagName(`a@sha256:${'1'.repeat(64)}`)).toThrow('has a digest');
  });

  it('writes familiar RepoTags (null for none) and the legacy repositories map', () => {
    const saved = [
      {
        configPath: 'blobs/sha256/a',
        layerPaths: ['blobs/sha256/l'],
        names: ['docker.io/library/busybox:latest', 'example.com/x/y:2'],
        topDiffId: TOP,
      },
      { configPath: 'blobs/sha256/b', layerPaths: [], names: [], topDiffId: TOP },
    ];
    expect(JSON.parse(dockerManifest(saved))).toEqual([
      {
        Config: 'blobs/sha256/a',
        RepoTags: ['busybox:latest', 'example.com/x/y:2'],
        Layers: ['blobs/sha256/l'],
      },
      { Config: 'blobs/sha256/b', RepoTags: null, Layers: [] },
    ]);
    expect(JSON.parse(repositoriesFile(saved)!)).toEqual({
      busybox: { latest: 'c'.repeat(64) },
      'example.com/x/y': { '2': 'c'.repeat(64) },
    });
    expect(repositoriesFile([saved[1]!])).toBeUndefined();
  });
});

describe('OCI index.json', () => {
  const manifest = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: ID_A,
    size: 9,
  };
  const images = [
    {
      manifest,
      platform: { architecture: 'amd64', os: 'linux' },
      names: ['docker.io/library/busybox:latest'],
    },
    { manifest: { ...manifest, digest: ID_B }, platform: {}, names: [] },
  ];

  it("writes docker's annotations: ref.name the tag, the full name for containerd", () => {
    const doc = JSON.parse(ociIndex(images, 'docker'));
    expect(doc.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(doc.manifests).toEqual([
      {
        ...manifest,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: {
          'io.containerd.image.name': 'docker.io/library/busybox:latest',
          'org.opencontainers.image.ref.name': 'latest',
        },
      },
      { ...manifest, digest: ID_B, platform: {} },
    ]);
  });

  it("writes podman's: the full name in ref.name", () => {
    const doc = JSON.parse(ociIndex(images.slice(0, 1), 'podman'));
    expect(doc.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe(
      'docker.io/library/busybox:latest',
    );
  });

  it('parses entries and refuses those without a sha256 digest', () => {
    expect(parseIndex(ociIndex(images, 'docker')).manifests).toHaveLength(2);
    expect(() => parseIndex('{"manifests":[{"digest":"md5:1"}]}')).toThrow(
      'entry 0 has no sha256 digest',
    );
    expect(() => parseIndex('{}')).toThrow('no manifests list');
  });

  it('names an image from its annotations as podman and containerd do', () => {
    const ref = 'org.opencontainers.image.ref.name';
    const ctr = 'io.containerd.image.name';
    expect(annotationName({ [ctr]: 'docker.io/library/a:1', [ref]: '1' })).toBe(
      'docker.io/library/a:1',
    );
    expect(annotationName({ [ref]: 'example.com/x/y:2' })).toBe('example.com/x/y:2');
    expect(annotationName({ [ref]: 'busybox:1' })).toBe('docker.io/library/busybox:1');
    // A bare tag names no repository.
    expect(annotationName({ [ref]: 'latest' })).toBeUndefined();
    expect(annotationName({ [ref]: `a/b@sha256:${'1'.repeat(64)}` })).toBeUndefined();
    expect(annotationName(undefined)).toBeUndefined();
    expect(() => annotationName({ [ctr]: 'Bad/Name:1' })).toThrow(/invalid image name/);
  });
});

describe('save selection', () => {
  const a = record(ID_A, ['docker.io/library/busybox:1', 'docker.io/library/busybox:2']);
  const b = record(ID_B, ['docker.io/library/busybox:latest', 'example.com/app:1'], {
    digests: [`docker.io/library/busybox@${TOP}`],
  });

  it('saves one tag by name:tag, every tag of a repository by name alone', () => {
    expect(selectImages([a, b], ['busybox:2']).map((s) => [s.rec.id, s.names])).toEqual([
      [ID_A, ['docker.io/library/busybox:2']],
    ]);
    expect(selectImages([a, b], ['busybox']).map((s) => [s.rec.id, s.names])).toEqual([
      [ID_A, ['docker.io/library/busybox:1', 'docker.io/library/busybox:2']],
      [ID_B, ['docker.io/library/busybox:latest']],
    ]);
  });

  it('saves an image named by ID, prefix or digest without a tag, and each image once', () => {
    expect(selectImages([a, b], [ID_B]).map((s) => s.names)).toEqual([[]]);
    expect(selectImages([a, b], ['bbbb']).map((s) => s.rec.id)).toEqual([ID_B]);
    expect(selectImages([a, b], [`busybox@${TOP}`]).map((s) => s.names)).toEqual([[]]);
    expect(
      selectImages([a, b], ['example.com/app:1', ID_B]).map((s) => [s.rec.id, s.names]),
    ).toEqual([[ID_B, ['example.com/app:1']]]);
  });

  it("reports a missing image with docker's words", () => {
    expect(() => selectImages([a], ['nothere'])).toThrow('No such image: nothere:latest');
  });
});

describe('archive member paths', () => {
  it('normalises, and refuses paths that climb out', () => {
    expect(archivePath('./blobs//sha256/x/')).toBe('blobs/sha256/x');
    expect(archivePath('/manifest.json')).toBe('manifest.json');
    expect(archivePath('a/../b')).toBe('b');
    expect(archivePath('./')).toBe('');
    expect(archivePath('../layer.tar', 'x')).toBe('layer.tar');
    expect(() => archivePath('../x')).toThrow('archive entry "../x" points outside the archive');
    expect(() => archivePath('a/../../x')).toThrow('points outside');
    expect(() => archivePath('../../x', 'a')).toThrow('points outside');
  });
});

describe('layer blobs', () => {
  it('sniffs compression from the bytes', () => {
    expect(sniffCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(sniffCompression(Buffer.from('usta'))).toBe('none');
    expect(sniffCompression(Buffer.alloc(0))).toBe('none');
  });

  it('writes an OCI manifest for a loaded image', () => {
    const doc = JSON.parse(
      synthesizeManifest({ digest: ID_A, size: 3 }, [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: TOP, size: 5 },
      ]).toString(),
    );
    expect(doc).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: ID_A, size: 3 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: TOP, size: 5 }],
    });
  });
});

describe('TarWriter', () => {
  it('writes a ustar stream that tar reads back, and checks blobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsctr-tarw-'));
    const blob = Buffer.alloc(1000, 7);
    writeFileSync(join(dir, 'b'), blob);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const w = new TarWriter(out);
    await w.dir('blobs');
    await w.fileFrom('blobs/b', join(dir, 'b'), blob.length, sha256Digest(blob));
    await w.file('index.json', Buffer.from('{}'));
    await w.end(true);
    const tar = Buffer.concat(chunks);
    expect(tar.length % 512).toBe(0);

    const seen: [string, string, number, number, string][] = [];
    const p = new Parser({ strict: true });
    p.on('entry', (e: ReadEntry) => {
      const parts: Buffer[] = [];
      e.on('data', (c: Buffer) => parts.push(c));
      e.on('end', () =>
        seen.push([
          e.path,
          e.type,
          e.mode ?? -1,
          e.mtime?.getTime() ?? -1,
          Buffer.concat(parts).toString('latin1').slice(0, 4),
        ]),
      );
    });
    await new Promise<void>((resolve) => p.end(tar, resolve));
    expect(seen).toEqual([
      ['blobs/', 'Directory', 0o755, 0, ''],
      ['blobs/b', 'File', 0o644, 0, '\x07\x07\x07\x07'],
      ['index.json', 'File', 0o644, 0, '{}'],
    ]);

    const bad = new TarWriter(new PassThrough().resume());
    await expect(bad.fileFrom('b', join(dir, 'b'), blob.length, ID_A)).rejects.toThrow(
      `blob ${ID_A} in the store is damaged`,
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
