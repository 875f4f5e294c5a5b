import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../fixtures/digest.ts';
import {
  BUSYBOX_HARDLINKS,
  BUSYBOX_SYMLINKS,
  buildBusyboxImage,
  buildManifest,
  LONG_PATH,
  withWrongDiffId,
  withWrongLayerSize,
  type TestImage,
} from '../fixtures/images.ts';
import { applyLayers } from '../fixtures/layer-tree.ts';
import type { TarEntry } from '../fixtures/tarball.ts';

describe('busybox test image', () => {
  let image: TestImage;
  beforeAll(async () => {
    image = await buildBusyboxImage();
  });

  it('has three layers, the middle one uncompressed, with matching digests', () => {
    expect(image.layers.map((l) => l.compression)).toEqual(['gzip', 'none', 'gzip']);
    for (const layer of image.layers) {
      const tar = layer.compression === 'gzip' ? gunzipSync(layer.blob) : layer.blob;
      expect(tar.equals(layer.tar)).toBe(true);
      expect(layer.diffId).toBe(sha256Digest(layer.tar));
      expect(layer.digest).toBe(sha256Digest(layer.blob));
      expect(layer.size).toBe(layer.blob.length);
    }
    expect(image.layers[1]?.digest).toBe(image.layers[1]?.diffId);
  });

  it('has a config naming the diff_ids in order', () => {
    expect(image.configDigest).toBe(sha256Digest(image.config));
    const config = JSON.parse(image.config.toString('utf8'));
    expect(config).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['sh'],
      },
      rootfs: { type: 'layers', diff_ids: image.layers.map((l) => l.diffId) },
    });
    expect(config.history).toHaveLength(4);
    expect(config.history[3]).toMatchObject({ empty_layer: true });
  });

  it('is reproducible byte for byte', async () => {
    const again = await buildBusyboxImage();
    expect(again.configDigest).toBe(image.configDigest);
    expect(again.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
  });

  it('expects the whiteouts and the opaque dir to have taken effect', () => {
    const paths = [...image.expected.keys()];
    expect(paths).not.toContain('gone.txt');
    expect(paths).not.toContain('etc/motd');
    expect(paths.filter((p) => p.startsWith('old/'))).toEqual(['old/new.txt']);
    expect(paths.some((p) => p.includes('.wh.'))).toBe(false);
    expect(image.expected.get('old/new.txt')?.content?.toString()).toBe('new in layer 2\n');
    expect(image.expected.get('layer2.txt')?.layer).toBe(1);
    expect(image.expected.get('layer3.txt')?.layer).toBe(2);
    expect(image.expected.get(LONG_PATH)?.content?.toString()).toBe('long path\n');
    expect(LONG_PATH.length).toBeGreaterThan(100);
  });

  it('expects busybox, its links, owners and special modes', () => {
    const busybox = image.expected.get('bin/busybox');
    expect(busybox?.content?.equals(readFileSync('/bin/busybox'))).toBe(true);
    expect(busybox?.mode).toBe(0o755);
    for (const name of BUSYBOX_HARDLINKS) {
      expect(image.expected.get(`bin/${name}`)).toMatchObject({
        type: 'file',
        sameInodeAs: 'bin/busybox',
      });
    }
    for (const name of BUSYBOX_SYMLINKS) {
      expect(image.expected.get(`bin/${name}`)).toMatchObject({
        type: 'symlink',
        linkname: 'busybox',
      });
    }
    expect(image.expected.get('home/user/owned')).toMatchObject({
      mode: 0o640,
      uid: 1000,
      gid: 1000,
    });
    expect(image.expected.get('home/user')).toMatchObject({ type: 'dir', uid: 1000 });
    expect(image.expected.get('tmp')?.mode).toBe(0o1777);
    expect(image.expected.get('bin/suid-script')?.mode).toBe(0o4755);
    expect(image.expected.get('etc/abs-link')?.linkname).toBe('/etc/passwd');
    expect(image.expected.get('etc/rel-link')?.linkname).toBe('../etc/group');
    expect(image.expected.get('etc/passwd')?.content?.toString()).toContain(
      'user:x:1000:1000:user:/home/user:/bin/sh',
    );
  });

  it('keeps a salted layer apart from the shared ones', async () => {
    const salted = await buildBusyboxImage({ salt: 'abc' });
    expect(salted.layers[0]?.digest).toBe(image.layers[0]?.digest);
    expect(salted.layers[2]?.digest).not.toBe(image.layers[2]?.digest);
    expect(salted.expected.get('etc/salt')?.content?.toString()).toBe('abc\n');
  });

  it('builds tampered variants that differ only where intended', () => {
    const wrongDiff = withWrongDiffId(image, 0);
    expect(wrongDiff.configDigest).not.toBe(image.configDigest);
    expect(wrongDiff.configJson.rootfs.diff_ids[0]).not.toBe(image.layers[0]?.diffId);
    expect(wrongDiff.configJson.rootfs.diff_ids[1]).toBe(image.layers[1]?.diffId);

    const wrongSize = withWrongLayerSize(image, 2, 5);
    const manifest = JSON.parse(buildManifest(wrongSize, 'oci').body.toString('utf8'));
    expect(manifest.layers[2].size).toBe(image.layers[2]!.blob.length + 5);
    expect(manifest.layers[2].digest).toBe(image.layers[2]?.digest);
  });
});

describe('applyLayers', () => {
  const d = (path: string): TarEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  const f = (path: string, content = path): TarEntry => ({
    path,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    content,
  });

  it('removes a whole subtree for a whiteout of a directory', () => {
    const tree = applyLayers([[d('a'), d('a/b'), f('a/b/c'), f('keep')], [f('.wh.a')]]);
    expect([...tree.keys()]).toEqual(['keep']);
  });

  it('lets an opaque dir hide only lower layers, whatever the entry order', () => {
    const tree = applyLayers([
      [d('o'), f('o/lower')],
      [d('o'), f('o/upper'), f('o/.wh..wh..opq')],
    ]);
    expect([...tree.keys()]).toEqual(['o', 'o/upper']);
  });

  it('drops children when a directory is replaced by a file', () => {
    const tree = applyLayers([[d('x'), f('x/child')], [f('x', 'now a file')]]);
    expect([...tree.keys()]).toEqual(['x']);
    expect(tree.get('x')?.type).toBe('file');
  });

  it('rejects a hardlink to nothing', () => {
    expect(() =>
      applyLayers([[{ path: 'h', type: 'hardlink', mode: 0, uid: 0, gid: 0, linkname: 'none' }]]),
    ).toThrow(/not a file/);
  });
});
