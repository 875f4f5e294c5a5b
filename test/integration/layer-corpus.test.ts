/**
 * A corpus of layers that are well-formed tars but awkward or hostile to unpack, each pulled from
 * a real registry and loaded from a docker-archive: writes through a symbolic link planted in the
 * same layer, hard links to absolute paths and to nothing, paths that climb out, GNU and PAX long
 * names, and owners outside the user namespace or beyond 32 bits, in octal, PAX and base-256
 * fields. What docker and podman unpack must unpack the same way, as seen from inside a
 * container; what they refuse must fail with one `Error:` and its hint (no stack, no "internal
 * error"), exit 125, and leave the store as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  buildUncheckedImage,
  DEFAULT_PATH,
  pushImage,
  type TarEntry,
  type TestImage,
} from '../fixtures/images.ts';
import { createTar } from '../fixtures/tarball.ts';
import { sandbox, tsctr, testUser, type Result, type Sandbox } from './harness.ts';

const hex = (d: string) => d.slice(7);

const file = (path: string, content: Buffer | string, more: Partial<TarEntry> = {}): TarEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  content,
  ...more,
});
const dir = (path: string, more: Partial<TarEntry> = {}): TarEntry => ({
  path,
  type: 'dir',
  mode: 0o755,
  uid: 0,
  gid: 0,
  ...more,
});
const symlink = (path: string, linkname: string, more: Partial<TarEntry> = {}): TarEntry => ({
  path,
  type: 'symlink',
  mode: 0o777,
  uid: 0,
  gid: 0,
  linkname,
  ...more,
});
const hardlink = (path: string, linkname: string, more: Partial<TarEntry> = {}): TarEntry => ({
  path,
  type: 'hardlink',
  mode: 0o644,
  uid: 0,
  gid: 0,
  linkname,
  ...more,
});

/** The layer under every image of the corpus: busybox and a few applets. */
const BASE: TarEntry[] = [
  dir('bin'),
  file('bin/busybox', readFileSync('/bin/busybox'), { mode: 0o755 }),
  ...['sh', 'cat', 'readlink', 'stat', 'wc'].map((n) => symlink(`bin/${n}`, 'busybox')),
  dir('etc'),
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'),
  dir('tmp', { mode: 0o1777 }),
];

/** An image of the base layer and, on top, `entries` (gzip, as registries serve layers). */
function image(entries: TarEntry[]): TestImage {
  return buildUncheckedImage({
    layers: [{ entries: BASE }, { entries }],
    config: { Env: [DEFAULT_PATH], Cmd: ['sh'] },
  });
}

/** podman's docker-archive: manifest.json, <config hex>.json, a <diff_id hex>.tar per layer. */
function dockerArchive(img: TestImage, name: string): Buffer {
  return createTar([
    file(`${hex(img.configDigest)}.json`, img.config),
    ...img.layers.map((l) => file(`${hex(l.diffId)}.tar`, l.tar)),
    file(
      'manifest.json',
      JSON.stringify([
        {
          Config: `${hex(img.configDigest)}.json`,
          RepoTags: [name],
          Layers: img.layers.map((l) => `${hex(l.diffId)}.tar`),
        },
      ]),
    ),
  ]);
}

/** What a failed command may not change: records, layers, blobs, work in progress. */
function storeListing(s: Sandbox): {
  images: string[];
  layers: string[];
  blobs: string[];
  tmp: string[];
} {
  const ls = (d: string) =>
    existsSync(join(s.root, d)) ? readdirSync(join(s.root, d)).sort() : [];
  return {
    images: ls('images'),
    layers: ls('layers'),
    blobs: ls('blobs/sha256'),
    tmp: ls('tmp'),
  };
}

/** The container ids the test user's namespace maps: 0 to `top` (its own id, then subuids). */
function mappedTop(file: string): number {
  const u = testUser();
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(':'))
    .filter(([who]) => who === u.name || who === String(u.uid))
    .reduce((n, [, , count]) => n + Number(count), 0);
}

const UID_TOP = mappedTop('/etc/subuid');
const GID_TOP = mappedTop('/etc/subgid');
/** An id past both mappings (70000 where the user has 65536 subordinate ids, as in CI). */
const BEYOND = Math.max(70000, UID_TOP + 1, GID_TOP + 1);

const LONG = `${'d'.repeat(90)}/${'f'.repeat(90)}.txt`;
const LONG_DIR = LONG.slice(0, 90);

const SYMLINK_HINT =
  "a layer's symbolic links are followed inside that layer alone, and it holds no such directory; docker (overlay2) and podman refuse this layer too";
const HARDLINK_HINT =
  'a hard link must name a file that the same layer wrote before it; docker (overlay2) and podman refuse this layer too';
const HOSTILE_HINT = 'the image is malformed or hostile';
const INVALID_ID_HINT =
  'user and group ids run from 0 to 4294967294; the image is malformed or hostile';
const UNMAPPED_HINT = `the user namespace maps container uids 0-${UID_TOP} and gids 0-${GID_TOP} (your own id, then your ranges in /etc/subuid and /etc/subgid); give your user larger ranges there`;

const unmapped = (uid: number, gid: number, path: string) =>
  `potentially insufficient UIDs or GIDs available in user namespace (requested ${uid}:${gid} for ${path}): lchown ${path}: invalid argument`;

interface Refused {
  name: string;
  entries: TarEntry[];
  /** The message after "layer …: ". */
  detail: string;
  /** The hint after "nothing was stored; " (pull) or "nothing was loaded; " (load). */
  hint: string;
}

const refused: Refused[] = [
  {
    name: 'write through a symlink to a directory of a lower layer',
    entries: [symlink('a', '/etc'), file('a/x', 'x\n')],
    detail: 'cannot write "a/x" through "a", a symbolic link to "/etc": no such file or directory',
    hint: SYMLINK_HINT,
  },
  {
    name: 'write through a symlink to a file',
    entries: [file('f', 'f\n'), symlink('a', '/f'), file('a/x', 'x\n')],
    detail: 'cannot write "a/x" through "a", a symbolic link to "/f": not a directory',
    hint: SYMLINK_HINT,
  },
  {
    name: 'hard link to an absolute path in a lower layer',
    entries: [hardlink('bin/sh2', '/bin/busybox')],
    detail: 'cannot write "bin/sh2", a hard link to "/bin/busybox": no such file or directory',
    hint: HARDLINK_HINT,
  },
  {
    name: 'hard link to nothing',
    entries: [hardlink('x', 'no/such/file')],
    detail: 'cannot write "x", a hard link to "no/such/file": no such file or directory',
    hint: HARDLINK_HINT,
  },
  {
    name: 'hard link out of the layer',
    entries: [hardlink('x', '../../etc/passwd')],
    detail: 'hard link "x" to "../../etc/passwd" points outside the layer',
    hint: HOSTILE_HINT,
  },
  {
    name: 'path out of the layer',
    entries: [file('../../x', 'x\n')],
    detail: 'entry "../../x" points outside the layer',
    hint: HOSTILE_HINT,
  },
  {
    name: 'name longer than 255 bytes, as a GNU long name',
    entries: [file('n'.repeat(300), 'x\n', { longNames: 'gnu' })],
    detail: `cannot write "${'n'.repeat(300)}": name too long`,
    hint: 'a name in the path is longer than 255 bytes, or the path longer than 4096; Linux allows neither',
  },
  {
    name: 'file owned by ids the namespace does not map',
    entries: [file('file', 'x\n', { uid: BEYOND, gid: BEYOND })],
    detail: unmapped(BEYOND, BEYOND, '/file'),
    hint: UNMAPPED_HINT,
  },
  {
    name: 'directory of a group the namespace does not map',
    entries: [dir('d', { gid: BEYOND })],
    detail: unmapped(0, BEYOND, '/d'),
    hint: UNMAPPED_HINT,
  },
  {
    name: 'symlink owned by a uid the namespace does not map',
    entries: [symlink('l', 'x', { uid: BEYOND })],
    detail: unmapped(BEYOND, 0, '/l'),
    hint: UNMAPPED_HINT,
  },
  {
    name: 'owner 4294967294, the largest id',
    entries: [file('file', 'x\n', { uid: 4294967294, gid: 4294967294 })],
    detail: unmapped(4294967294, 4294967294, '/file'),
    hint: UNMAPPED_HINT,
  },
  {
    name: 'owner 4294967295, which chown takes for "unchanged"',
    entries: [file('file', 'x\n', { uid: 4294967295 })],
    detail: 'entry "file" has owner 4294967295:0, which is not a valid uid:gid',
    hint: INVALID_ID_HINT,
  },
  {
    name: 'owner 2^32 in a base-256 field',
    entries: [file('file', 'x\n', { uid: 2 ** 32, ids: 'base256' })],
    detail: 'entry "file" has owner 4294967296:0, which is not a valid uid:gid',
    hint: INVALID_ID_HINT,
  },
  {
    name: 'owner beyond 32 bits in a PAX record',
    entries: [file('file', 'x\n', { pax: { gid: '99999999999' } })],
    detail: 'entry "file" has owner 0:99999999999, which is not a valid uid:gid',
    hint: INVALID_ID_HINT,
  },
  {
    name: 'negative owner in a PAX record',
    entries: [file('file', 'x\n', { pax: { uid: '-1' } })],
    detail: 'entry "file" has owner -1:0, which is not a valid uid:gid',
    hint: INVALID_ID_HINT,
  },
];

let reg: TestRegistry;
/** The store pulls go to; the base image is in it. */
let pb: Sandbox;
/** The store loads go to; the base image's archive is loaded in it. */
let lb: Sandbox;

beforeAll(async () => {
  reg = await startRegistry();
  pb = sandbox();
  lb = sandbox();
  // The base layer is in both stores beforehand, so that a failed pull or load of an image on
  // top of it has nothing to leave behind but what the failure itself would.
  const base = image([file('base.txt', 'base\n')]);
  await pushImage(reg.host, 'corpus/base', 'v1', base);
  ok(tsctr(pb, ['pull', '-q', `${reg.host}/corpus/base:v1`]));
  ok(tsctr(lb, ['load', '-i', archive(lb, base, 'corpus/base:v1')]));
});

afterAll(async () => {
  pb?.cleanup();
  lb?.cleanup();
  await reg?.stop();
});

function ok(r: Result): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

let archives = 0;
function archive(s: Sandbox, img: TestImage, name: string): string {
  const path = join(s.dir, `corpus-${archives++}.tar`);
  writeFileSync(path, dockerArchive(img, name));
  return path;
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

describe('layers docker and podman refuse', () => {
  it.each(refused)('$name', async ({ name, entries, detail, hint }) => {
    const img = image(entries);
    const layer = img.layers[1]!;
    const repo = `corpus/refused-${slug(name)}`;
    await pushImage(reg.host, repo, 'v1', img);

    const before = storeListing(pb);
    const pull = tsctr(pb, ['pull', '-q', `${reg.host}/${repo}:v1`]);
    expect(pull.stderr).toBe(
      `Error: layer ${layer.digest}: ${detail}\nHint: nothing was stored; ${hint}\n`,
    );
    expect(pull.stdout).toBe('');
    expect(pull.code).toBe(125);
    expect(storeListing(pb)).toEqual(before);

    const loadBefore = storeListing(lb);
    const load = tsctr(lb, ['load', '-i', archive(lb, img, `${repo}:v1`)]);
    expect(load.stderr).toBe(
      `Error: layer ${hex(layer.diffId)}.tar in the archive: ${detail}\n` +
        `Hint: nothing was loaded; ${hint}\n`,
    );
    expect(load.stdout).toBe('');
    expect(load.code).toBe(125);
    expect(storeListing(lb)).toEqual(loadBefore);
  });

  it('refuses an owner past 2^53 in a base-256 field as a damaged layer', async () => {
    const img = image([file('file', 'x\n', { uid: 2 ** 54, ids: 'base256' })]);
    const layer = img.layers[1]!;
    await pushImage(reg.host, 'corpus/refused-base256-overflow', 'v1', img);
    const why = 'layer data is corrupt: a numeric header field holds a value beyond 2^53';

    const before = storeListing(pb);
    const pull = tsctr(pb, ['pull', '-q', `${reg.host}/corpus/refused-base256-overflow:v1`]);
    expect(pull.stderr).toBe(
      `Error: layer ${layer.digest} failed verification: ${why}\n` +
        'Hint: nothing was stored; the download was truncated or the registry served a damaged blob — pull again\n',
    );
    expect(pull.code).toBe(125);
    expect(storeListing(pb)).toEqual(before);

    const loadBefore = storeListing(lb);
    const load = tsctr(lb, ['load', '-i', archive(lb, img, 'corpus/overflow:v1')]);
    expect(load.stderr).toBe(
      `Error: layer ${hex(layer.diffId)}.tar in the archive is damaged: ${why}\n` +
        'Hint: nothing was loaded; the archive is damaged, truncated or was tampered with\n',
    );
    expect(load.code).toBe(125);
    expect(storeListing(lb)).toEqual(loadBefore);
  });
});

interface Accepted {
  name: string;
  entries: TarEntry[];
  /** Run in the container; its output must be `stdout`. */
  script: string;
  stdout: string;
}

const accepted: Accepted[] = [
  {
    name: 'write through an absolute symlink to a directory of the same layer',
    entries: [dir('etc'), symlink('a', '/etc'), file('a/x', 'via /etc\n')],
    script: 'cat /etc/x; readlink /a; cat /etc/passwd',
    stdout: 'via /etc\n/etc\nroot:x:0:0:root:/root:/bin/sh\n',
  },
  {
    name: 'writes through symlinks that climb above the root, kept inside it',
    entries: [
      symlink('up', '..'),
      file('up/x', 'via ..\n'),
      symlink('deep', '../../../..'),
      file('deep/y', 'via ../../../..\n'),
    ],
    script: 'cat /x /y; readlink /up; readlink /deep',
    stdout: 'via ..\nvia ../../../..\n..\n../../../..\n',
  },
  {
    name: 'hard link to an absolute path in the same layer',
    entries: [
      dir('opt'),
      file('opt/tool', 'tool\n', { mode: 0o755 }),
      hardlink('bin/tool', '/opt/tool'),
    ],
    script: 'cat /bin/tool; stat -c "%h %a" /bin/tool /opt/tool',
    stdout: 'tool\n2 755\n2 755\n',
  },
  {
    name: 'GNU long names and long link names',
    entries: [
      dir(LONG_DIR),
      file(LONG, 'gnu long\n', { longNames: 'gnu' }),
      symlink('sym', `/${LONG}`, { longNames: 'gnu' }),
      hardlink(`hard-${'h'.repeat(120)}`, LONG, { longNames: 'gnu' }),
    ],
    script: `cat /${LONG} /sym /hard-${'h'.repeat(120)}; readlink /sym | wc -c; stat -c %h /${LONG}`,
    stdout: `gnu long\ngnu long\ngnu long\n${LONG.length + 2}\n2\n`,
  },
  {
    name: 'PAX long names and long link names',
    entries: [
      dir(LONG_DIR),
      file(LONG, 'pax long\n'),
      symlink('sym', `/${LONG}`),
      hardlink(`hard-${'h'.repeat(120)}`, LONG),
    ],
    script: `cat /${LONG} /sym /hard-${'h'.repeat(120)}; stat -c %h /${LONG}`,
    stdout: 'pax long\npax long\npax long\n2\n',
  },
  {
    name: 'owners at the top of the mapping, in base-256 and in PAX records',
    entries: [
      file('top', 'top\n', { uid: UID_TOP, gid: GID_TOP }),
      file('b256', 'b256\n', { uid: 1000, gid: 1001, ids: 'base256' }),
      dir('paxdir', { pax: { uid: '4242', gid: '4343' } }),
    ],
    script: 'stat -c "%n %u %g" /top /b256 /paxdir',
    stdout: `/top ${UID_TOP} ${GID_TOP}\n/b256 1000 1001\n/paxdir 4242 4343\n`,
  },
];

describe('layers docker and podman unpack', () => {
  it.each(accepted)('$name', async ({ name, entries, script, stdout }) => {
    const img = image(entries);
    const layer = img.layers[1]!;
    const repo = `corpus/accepted-${slug(name)}`;
    const ref = `${reg.host}/${repo}:v1`;
    await pushImage(reg.host, repo, 'v1', img);

    ok(tsctr(pb, ['pull', '-q', ref]));
    const run = tsctr(pb, ['run', '--rm', ref, 'sh', '-c', script]);
    ok(run);
    expect(run.stdout).toBe(stdout);

    ok(tsctr(lb, ['load', '-i', archive(lb, img, `${repo}:v1`)]));
    const runLoaded = tsctr(lb, ['run', '--rm', `${repo}:v1`, 'sh', '-c', script]);
    ok(runLoaded);
    expect(runLoaded.stdout).toBe(stdout);

    // Nothing was written beside the layer's own tree: not in the layer's directory, the store
    // or the sandbox, however far up the links pointed.
    for (const s of [pb, lb]) {
      expect(readdirSync(join(s.root, 'layers', hex(layer.diffId))).sort()).toEqual([
        'diff',
        'layer.json',
      ]);
      for (const name of ['x', 'y']) {
        expect(existsSync(join(s.root, name))).toBe(false);
        expect(existsSync(join(s.dir, name))).toBe(false);
      }
      expect(storeListing(s).tmp).toEqual([]);
    }
  });
});

describe('a refused layer among others', () => {
  it('fails the pull once, keeps no record nor half layer, and the next pull works', async () => {
    // Four layers to fetch, so four lanes of one writer: the refused one's lane exits and the
    // others go on; its work directory is removed through another lane.
    const a = [file('a.txt', `a\n${'a'.repeat(300_000)}`)];
    const b = [file('b.txt', `b\n${'b'.repeat(200_000)}`)];
    const bad = [hardlink('x', 'no/such/file')];
    const img = buildUncheckedImage({
      layers: [{ entries: BASE }, { entries: a }, { entries: bad }, { entries: b }],
      config: { Env: [DEFAULT_PATH], Cmd: ['sh'] },
    });
    await pushImage(reg.host, 'corpus/among', 'v1', img);
    const s = sandbox();
    try {
      const r = tsctr(s, ['pull', '-q', `${reg.host}/corpus/among:v1`]);
      expect(r.stderr).toBe(
        `Error: layer ${img.layers[2]!.digest}: cannot write "x", a hard link to "no/such/file": no such file or directory\n` +
          `Hint: nothing was stored; ${HARDLINK_HINT}\n`,
      );
      expect(r.code).toBe(125);
      const after = storeListing(s);
      expect(after.images).toEqual([]);
      expect(after.tmp).toEqual([]);
      expect(after.layers).not.toContain(hex(img.layers[2]!.diffId));
      // Layers verified before the failure may stay (garbage collection removes them); each is
      // complete.
      for (const l of after.layers) {
        expect(existsSync(join(s.root, 'layers', l, 'layer.json'))).toBe(true);
      }

      const good = buildUncheckedImage({
        layers: [{ entries: BASE }, { entries: a }, { entries: b }],
        config: { Env: [DEFAULT_PATH], Cmd: ['sh'] },
      });
      await pushImage(reg.host, 'corpus/among', 'v2', good);
      ok(tsctr(s, ['pull', '-q', `${reg.host}/corpus/among:v2`]));
      const run = tsctr(s, [
        'run',
        '--rm',
        `${reg.host}/corpus/among:v2`,
        'sh',
        '-c',
        'cat /a.txt /b.txt | wc -c',
      ]);
      ok(run);
      expect(run.stdout.trim()).toBe(String(2 + 300_000 + 2 + 200_000));
      expect(storeListing(s).tmp).toEqual([]);
    } finally {
      s.cleanup();
    }
  });
});
