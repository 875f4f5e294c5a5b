/**
 * save and load end to end: a round trip through a file and through a pipe, archives in the
 * layouts docker (old and ≥ 25) and podman write, built here byte by byte, the real podman on
 * both sides, and hostile archives that must leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  buildBusyboxImage,
  buildIndex,
  buildManifest,
  encodeConfig,
  pushImage,
  withWrongDiffId,
  type TarEntry,
  type TestImage,
} from '../fixtures/images.ts';
import { createTar } from '../fixtures/tarball.ts';
import { sha256Digest } from '../fixtures/digest.ts';
import { BIN, sandbox, tsctr, type Sandbox } from './harness.ts';
import { runAsUser, tsctrFromFile, tsctrPipe } from './pipe.ts';

let reg: TestRegistry;
let sb: Sandbox;
let image: TestImage;
let ref: string;
let manifestDigest: string;

const hex = (d: string) => d.slice(7);
const file = (path: string, content: Buffer | string): TarEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  content,
});
const dir = (path: string): TarEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0 });
const symlink = (path: string, linkname: string): TarEntry => ({
  path,
  type: 'symlink',
  mode: 0o777,
  uid: 0,
  gid: 0,
  linkname,
});

function ok(r: { code: number | null; stderr: string }): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

function imageIds(s: Sandbox): string[] {
  return tsctr(s, ['images', '-a', '--no-trunc', '--format', '{{.ID}}']).stdout.split('\n');
}

function records(s: Sandbox): string[] {
  const d = join(s.root, 'images');
  return existsSync(d) ? readdirSync(d) : [];
}

function tmpEntries(s: Sandbox): string[] {
  const d = join(s.root, 'tmp');
  return existsSync(d) ? readdirSync(d) : [];
}

/** The content checks of the busybox test image: an owner, a whiteout, the salt. */
function expectContent(s: Sandbox, name: string, salt: string): void {
  const r = tsctr(s, [
    'run',
    '--rm',
    name,
    'sh',
    '-c',
    'stat -c "%u %g %a" /home/user/owned; test -e /gone.txt || echo gone; cat /layer3.txt /etc/salt',
  ]);
  ok(r);
  expect(r.stdout).toBe(`1000 1000 640\ngone\nlayer 3\n${salt}\n`);
}

/** An OCI image layout as podman's oci-archive has it, optionally through a nested index. */
function ociLayout(img: TestImage, name: string | undefined, opts: { nested?: boolean } = {}) {
  const m = buildManifest(img, 'oci');
  const mDesc = {
    mediaType: m.mediaType,
    size: m.body.length,
    digest: m.digest,
    platform: { architecture: 'amd64', os: 'linux' },
  };
  const idx = buildIndex([mDesc], 'oci');
  const top = opts.nested
    ? { mediaType: idx.mediaType, size: idx.body.length, digest: idx.digest }
    : mDesc;
  const blobs = new Map<string, Buffer>([
    [img.configDigest, img.config],
    [m.digest, m.body],
    ...img.layers.map((l) => [l.digest, l.blob] as [string, Buffer]),
    ...(opts.nested ? [[idx.digest, idx.body] as [string, Buffer]] : []),
  ]);
  const index = {
    schemaVersion: 2,
    manifests: [
      { ...top, ...(name ? { annotations: { 'org.opencontainers.image.ref.name': name } } : {}) },
    ],
  };
  return {
    blobs,
    entries: (skip: string[] = []): TarEntry[] => [
      dir('blobs'),
      dir('blobs/sha256'),
      ...[...blobs]
        .filter(([d]) => !skip.includes(d))
        .map(([d, body]) => file(`blobs/sha256/${hex(d)}`, body)),
      file('index.json', JSON.stringify(index)),
      file('oci-layout', '{"imageLayoutVersion": "1.0.0"}'),
    ],
  };
}

function write(s: Sandbox, name: string, data: Buffer): string {
  const path = join(s.dir, name);
  writeFileSync(path, data);
  return path;
}

beforeAll(async () => {
  reg = await startRegistry();
  sb = sandbox();
  image = await buildBusyboxImage({ salt: 'saved' });
  const pushed = await pushImage(reg.host, 'sl/busybox', 'v1', image, { format: 'docker' });
  manifestDigest = pushed.manifestDigest;
  ref = `${reg.host}/sl/busybox:v1`;
  ok(tsctr(sb, ['pull', '-q', ref]));
  ok(tsctr(sb, ['tag', ref, 'mine:1']));
});

afterAll(async () => {
  sb?.cleanup();
  await reg?.stop();
});

describe('save and load round trip', () => {
  it('restores the ID, the tags and the content from save -o, after rmi', () => {
    const out = join(sb.dir, 'a.tar');
    const s = tsctr(sb, ['save', '-o', out, ref, 'mine:1']);
    expect(s).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // Written to a temp file and renamed in: nothing else is left beside it.
    expect(readdirSync(sb.dir).filter((n) => n.includes('a.tar'))).toEqual(['a.tar']);
    ok(tsctr(sb, ['rmi', ref, 'mine:1']));
    expect(imageIds(sb)).not.toContain(image.configDigest);

    const l = tsctr(sb, ['load', '-i', out]);
    ok(l);
    expect(l.stdout).toBe(`Loaded image: ${ref}\nLoaded image: mine:1\n`);
    expect(imageIds(sb)).toContain(image.configDigest);
    expectContent(sb, 'mine:1', 'saved');
    expect(tmpEntries(sb)).toEqual([]);

    // The registry's manifest and blobs came back as they were: saving again gives the same
    // bytes, and the archive's index names the pushed manifest.
    const again = join(sb.dir, 'b.tar');
    ok(tsctr(sb, ['save', '-o', again, ref, 'mine:1']));
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
    expect(readFileSync(out).includes(Buffer.from(manifestDigest))).toBe(true);
  });

  it('pipes save on stdout into load on stdin, into another store', async () => {
    ok(tsctr(sb, ['tag', 'mine:1', 'mine:2']));
    const other = sandbox();
    try {
      // A name without a tag saves every tag of the repository, as docker does.
      const [save, load] = await tsctrPipe([sb, ['save', 'mine']], [other, ['load']]);
      ok(save);
      ok(load);
      expect(load.stdout).toBe('Loaded image: mine:1\nLoaded image: mine:2\n');
      expect(imageIds(other)).toContain(image.configDigest);
      expectContent(other, 'mine:2', 'saved');
    } finally {
      other.cleanup();
    }
  });

  it('reads stdin redirected from a file, and image save / image load', async () => {
    const out = join(sb.dir, 'c.tar');
    ok(tsctr(sb, ['image', 'save', '-o', out, image.configDigest]));
    const l = await tsctrFromFile(sb, ['image', 'load'], out);
    ok(l);
    expect(l.stdout).toBe(`Loaded image ID: ${image.configDigest}\n`);
  });

  it("refuses a terminal and a missing directory with docker's words", () => {
    // script(1) gives the command a terminal as stdout.
    const tty = runAsUser(sb, 'script', ['-qec', `${BIN} save mine:1`, '/dev/null']);
    expect(tty.stdout).toContain(
      'Error: cowardly refusing to save to a terminal. Use the -o flag or redirect',
    );
    const r = tsctr(sb, ['save', '-o', '/nonexistent/x.tar', 'mine:1']);
    expect(r.code).toBe(125);
    expect(r.stderr.split('\n')[0]).toBe(
      'Error: failed to save image: invalid output path: directory "/nonexistent" does not exist',
    );
    expect(tsctr(sb, ['save', '-o', join(sb.dir, 'x.tar'), 'nothere:1']).stderr).toMatch(
      /^Error: No such image: nothere:1/,
    );
  });

  it('refuses to save an image whose record predates kept blobs, with a hint', () => {
    const recFile = join(sb.root, 'images', `${hex(image.configDigest)}.json`);
    const original = readFileSync(recFile);
    const rec = JSON.parse(original.toString()) as Record<string, unknown>;
    delete rec.manifestBlob;
    delete rec.layerBlobs;
    writeFileSync(recFile, JSON.stringify(rec));
    try {
      const r = tsctr(sb, ['save', '-o', join(sb.dir, 'old.tar'), 'mine:1']);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(
        'Error: cannot save mine:1: the store has its layers but not its blobs as pulled\n' +
          'Hint: images pulled by an older tsctr lack them; pull the image again, then save it\n',
      );
      expect(existsSync(join(sb.dir, 'old.tar'))).toBe(false);
    } finally {
      writeFileSync(recFile, original);
    }
  });
});

describe('archives written by others', () => {
  it("loads docker's legacy layout, with a layer shared through a symlink", async () => {
    const img = await buildBusyboxImage({ salt: 'legacy' });
    const other = {
      ...img,
      ...encodeConfig({ ...img.configJson, config: { ...img.configJson.config, User: '1000' } }),
    };
    const v1 = img.layers.map((_, i) => hex(sha256Digest(`legacy v1 ${i}`)));
    const v1b = hex(sha256Digest('legacy v1 top of the other image'));
    const entries: TarEntry[] = [
      ...img.layers.flatMap((l, i) => [
        dir(v1[i]!),
        file(`${v1[i]}/VERSION`, '1.0'),
        file(`${v1[i]}/json`, JSON.stringify({ id: v1[i] })),
        file(`${v1[i]}/layer.tar`, l.tar),
      ]),
      dir(v1b),
      symlink(`${v1b}/layer.tar`, `../${v1[2]}/layer.tar`),
      file(`${hex(img.configDigest)}.json`, img.config),
      file(`${hex(other.configDigest)}.json`, other.config),
      file(
        'manifest.json',
        JSON.stringify([
          {
            Config: `${hex(img.configDigest)}.json`,
            RepoTags: ['legacy/app:1'],
            Layers: v1.map((v) => `${v}/layer.tar`),
          },
          {
            Config: `${hex(other.configDigest)}.json`,
            RepoTags: null,
            Layers: [v1[0], v1[1], v1b].map((v) => `${v}/layer.tar`),
          },
        ]),
      ),
      file('repositories', JSON.stringify({ 'legacy/app': { '1': v1[2] } })),
    ];
    const path = write(sb, 'legacy.tar', createTar(entries));
    const l = tsctr(sb, ['load', '-i', path]);
    ok(l);
    expect(l.stdout).toBe(`Loaded image: legacy/app:1\nLoaded image ID: ${other.configDigest}\n`);
    expect(imageIds(sb)).toEqual(expect.arrayContaining([img.configDigest, other.configDigest]));
    expectContent(sb, 'legacy/app:1', 'legacy');
    // A loaded image can be saved again: load wrote a manifest for its layer blobs.
    ok(tsctr(sb, ['save', '-o', join(sb.dir, 'legacy-again.tar'), 'legacy/app:1']));
  });

  it("loads podman's oci-archive, gzip-compressed, through a nested index", async () => {
    const img = await buildBusyboxImage({ salt: 'oci' });
    const layout = ociLayout(img, 'example.com/oci/app:2', { nested: true });
    const path = write(sb, 'oci.tar.gz', gzipSync(createTar(layout.entries())));
    const l = tsctr(sb, ['load', '-i', path]);
    ok(l);
    expect(l.stdout).toBe('Loaded image: example.com/oci/app:2\n');
    expect(imageIds(sb)).toContain(img.configDigest);
    expectContent(sb, 'example.com/oci/app:2', 'oci');
  });

  it('loads xz- and bzip2-compressed archives, as docker load does', () => {
    const saved = join(sb.dir, 'plain.tar');
    ok(tsctr(sb, ['save', '-o', saved, ref]));
    for (const program of ['xz', 'bzip2']) {
      const fresh = sandbox();
      try {
        const packed = execFileSync(program, ['-c', saved], { maxBuffer: 1 << 28 });
        const l = tsctr(fresh, ['load', '-i', write(fresh, `image.tar.${program}`, packed)]);
        ok(l);
        expect(l.stdout).toBe(`Loaded image: ${ref}\n`);
        expectContent(fresh, ref, 'saved');
        // Cut short: the program's own complaint.
        const cut = packed.subarray(0, packed.length >> 1);
        const bad = tsctr(fresh, ['load', '-i', write(fresh, 'cut', cut)]);
        expect(bad.code).toBe(125);
        expect(bad.stderr).toMatch(
          new RegExp(`^Error: the archive is truncated or damaged: ${program}: `),
        );
      } finally {
        fresh.cleanup();
      }
    }
  });

  it('reports a broken xz with its own message and exit status, and loads nothing', () => {
    const saved = join(sb.dir, 'for-broken-xz.tar');
    ok(tsctr(sb, ['save', '-o', saved, ref]));
    const packed = execFileSync('xz', ['-c', saved], { maxBuffer: 1 << 28 });
    const fresh = sandbox();
    try {
      // An xz that fails at once, without reading: tsctr's writes to it then fail too (EPIPE).
      const shims = join(fresh.dir, 'shims');
      mkdirSync(shims);
      writeFileSync(join(shims, 'xz'), '#!/bin/sh\necho "xz: broken on purpose" >&2\nexit 2\n', {
        mode: 0o755,
      });
      fresh.env.PATH = `${shims}:${fresh.env.PATH}`;
      const r = tsctr(fresh, ['load', '-i', write(fresh, 'image.tar.xz', packed)]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'Error: the archive is truncated or damaged: xz: broken on purpose (`xz -dcq` exited with status 2)\n' +
          'Hint: nothing was loaded; check that the file is complete (docker save, podman save or tsctr save output); `xz -t FILE` tests it\n',
      );
      expect(r.code).toBe(125);
      expect(records(fresh)).toEqual([]);
      expect(tmpEntries(fresh)).toEqual([]);
    } finally {
      fresh.cleanup();
    }
  });

  it('loads an image whose ref.name is a bare tag untagged', async () => {
    const img = await buildBusyboxImage({ salt: 'bare' });
    const layout = ociLayout(img, 'v2');
    const l = tsctr(sb, ['load', '-i', write(sb, 'bare.tar', createTar(layout.entries()))]);
    ok(l);
    expect(l.stdout).toBe(`Loaded image ID: ${img.configDigest}\n`);
  });
});

describe('hostile and damaged archives', () => {
  let fresh: Sandbox;

  beforeAll(() => {
    fresh = sandbox();
  });

  afterAll(() => fresh?.cleanup());

  /** Loads `data`; expects exit 125 with `message`, and no image record nor tmp/ leftover. */
  function refused(name: string, data: Buffer, message: RegExp): void {
    const r = tsctr(fresh, ['load', '-i', write(fresh, name, data)]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(125);
    expect(records(fresh)).toEqual([]);
    expect(tmpEntries(fresh)).toEqual([]);
  }

  it('refuses a layer whose diff_id is not the one its config lists', async () => {
    const img = withWrongDiffId(await buildBusyboxImage({ salt: 'wrong-diff' }), 1);
    refused(
      'diff.tar',
      createTar(ociLayout(img, 'example.com/bad/diff:1').entries()),
      /^Error: layer blobs\/sha256\/[0-9a-f]{64} does not match the image config: diff_id sha256:[0-9a-f]{64}, expected sha256:/,
    );
  });

  it('refuses entries that climb out of the archive, by path or by symlink', () => {
    refused(
      'escape.tar',
      createTar([file('../escaped.txt', 'x'), file('manifest.json', '[]')]),
      /^Error: archive entry "\.\.\/escaped\.txt" points outside the archive/,
    );
    expect(existsSync(join(fresh.root, 'escaped.txt'))).toBe(false);
    refused(
      'escape-link.tar',
      createTar([symlink('manifest.json', '../../../../etc/passwd')]),
      /^Error: archive entry "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" points outside the archive/,
    );
  });

  it('refuses a truncated archive and one missing a blob', async () => {
    const img = await buildBusyboxImage({ salt: 'damaged' });
    const layout = ociLayout(img, 'example.com/bad/cut:1');
    const whole = createTar(layout.entries());
    refused(
      'cut.tar',
      whole.subarray(0, whole.length >> 1),
      /^Error: the archive is truncated or damaged/,
    );
    refused(
      'missing.tar',
      createTar(layout.entries([img.layers[2]!.digest])),
      /^Error: layer blobs\/sha256\/[0-9a-f]{64} is missing from the archive/,
    );
    refused('empty.tar', Buffer.alloc(0), /^Error: the archive is empty/);
  });
});

describe('podman on the other side', () => {
  let pb: Sandbox;
  let podmanRoot: string[];

  const podman = (args: string[]) => runAsUser(pb, 'podman', [...podmanRoot, ...args], 180_000);

  beforeAll(() => {
    pb = sandbox();
    podmanRoot = [
      ...['--root', join(pb.dir, 'podman/root'), '--runroot', join(pb.dir, 'podman/run')],
      ...['--storage-driver', 'overlay', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs'],
      ...['--events-backend', 'file'],
    ];
    const r = podman(['pull', '-q', '--tls-verify=false', ref]);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(() => {
    // Stops podman's rootless pause process and removes its storage.
    if (pb) podman(['system', 'reset', '--force']);
    pb?.cleanup();
  });

  it('loads what podman save writes as docker-archive', () => {
    const out = join(pb.dir, 'pd.tar');
    expect(podman(['save', '--format', 'docker-archive', '-o', out, ref]).code).toBe(0);
    const l = tsctr(pb, ['load', '-i', out]);
    ok(l);
    expect(l.stdout).toBe(`Loaded image: ${ref}\n`);
    expect(imageIds(pb)).toContain(image.configDigest);
    expectContent(pb, ref, 'saved');
  });

  it('loads what podman save writes as oci-archive', () => {
    ok(tsctr(pb, ['rmi', ref]));
    const out = join(pb.dir, 'po.tar');
    expect(podman(['save', '--format', 'oci-archive', '-o', out, ref]).code).toBe(0);
    const l = tsctr(pb, ['load', '-i', out]);
    ok(l);
    expect(l.stdout).toBe(`Loaded image: ${ref}\n`);
    expectContent(pb, ref, 'saved');
  });

  it.each([
    ['the default archive', []],
    ['docker-archive', ['--format', 'docker-archive']],
    ['oci-archive', ['--format', 'oci-archive']],
  ])('gives podman load %s', (_label, format) => {
    ok(tsctr(pb, ['rmi', '-f', ref]));
    ok(tsctr(pb, ['pull', '-q', ref]));
    const out = join(pb.dir, `ts-${format.join('')}.tar`);
    ok(tsctr(pb, ['save', ...format, '-o', out, ref]));
    podman(['rmi', '-a', '-f']);
    const l = podman(['load', '-i', out]);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toContain(`Loaded image: ${ref}`);
    const id = podman(['image', 'inspect', '--format', '{{.Id}}', ref]);
    expect(id.stdout.trim()).toBe(hex(image.configDigest));
  });

  it('runs the image podman loaded from tsctr, with its owners', () => {
    const r = podman([
      'run',
      '--rm',
      '--network',
      'none',
      ref,
      'stat',
      '-c',
      '%u %g',
      '/home/user/owned',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1000 1000\n');
  });
});
