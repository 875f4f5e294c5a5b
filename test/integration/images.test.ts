/**
 * Local image management against a real registry: tag, rmi (untag, delete, conflicts with
 * containers, batches), garbage collection of layers and blobs, image inspect, history, image
 * prune and the images filters, with docker's messages and exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { buildBusyboxImage, pushImage, type TestImage } from '../fixtures/images.ts';
import { encodeConfig } from '../fixtures/image-build.ts';
import { sandbox, tsctr, type Sandbox } from './harness.ts';

let reg: TestRegistry;
let sb: Sandbox;

interface Pushed {
  ref: string;
  repo: string;
  image: TestImage;
  manifestDigest: string;
  short: string;
}

async function push(repo: string, tag: string, image: TestImage): Promise<Pushed> {
  const r = await pushImage(reg.host, repo, tag, image, { format: 'docker' });
  return {
    ref: `${reg.host}/${repo}:${tag}`,
    repo: `${reg.host}/${repo}`,
    image,
    manifestDigest: r.manifestDigest,
    short: image.configDigest.slice(7, 19),
  };
}

function pull(s: Sandbox, ref: string): void {
  const r = tsctr(s, ['pull', ref]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

const hex = (d: string) => d.slice(7);
const layerDir = (s: Sandbox, diffId: string) => join(s.root, 'layers', hex(diffId));
const blobFile = (s: Sandbox, digest: string) => join(s.root, 'blobs', 'sha256', hex(digest));
const imageFiles = (s: Sandbox) =>
  existsSync(join(s.root, 'images')) ? readdirSync(join(s.root, 'images')) : [];

/** A copy of `image` with labels in its config: same layers, another image ID. */
function labelled(image: TestImage, labels: Record<string, string>): TestImage {
  const configJson = {
    ...image.configJson,
    config: { ...image.configJson.config, Labels: labels },
  };
  return { ...image, ...encodeConfig(configJson) };
}

beforeAll(async () => {
  reg = await startRegistry();
  sb = sandbox();
});

afterAll(async () => {
  sb?.cleanup();
  await reg?.stop();
});

describe('tag', () => {
  let a: Pushed;
  let b: Pushed;

  beforeAll(async () => {
    a = await push('imgs/a', 'v1', await buildBusyboxImage({ salt: 'a' }));
    b = await push('imgs/b', 'v1', await buildBusyboxImage({ salt: 'b' }));
    pull(sb, a.ref);
    pull(sb, b.ref);
  });

  it('adds a name, and images shows a row for each', () => {
    const r = tsctr(sb, ['tag', a.ref, 'mine:1']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const rows = tsctr(sb, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).stdout;
    expect(rows.split('\n')).toEqual(
      expect.arrayContaining([`${a.ref} ${a.short}`, `mine:1 ${a.short}`]),
    );
  });

  it('prints CreatedAt as docker does, in Go time.String form', () => {
    const r = tsctr(sb, ['images', '--format', '{{.CreatedAt}}', a.ref]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC\n$/);
  });

  it('tags by image ID and moves a tag off the image that had it', () => {
    expect(tsctr(sb, ['tag', b.short, 'mine:2']).code).toBe(0);
    expect(tsctr(sb, ['tag', b.short, 'mine:1']).code).toBe(0);
    const r = tsctr(sb, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', 'mine']);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([
      `mine:1 ${b.short}`,
      `mine:2 ${b.short}`,
    ]);
    expect(tsctr(sb, ['tag', a.ref, 'mine:1']).code).toBe(0);
  });

  it("refuses an invalid target with docker's words", () => {
    const r = tsctr(sb, ['tag', a.ref, 'Bad:x']);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      'Error: Error parsing reference: "Bad:x" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase',
    );
    const digest = tsctr(sb, ['tag', a.ref, `x@${a.manifestDigest}`]);
    expect(digest.code).toBe(125);
    expect(digest.stderr.split('\n')[0]).toBe(
      'Error: refusing to create a tag with a digest reference',
    );
  });

  it('reports a missing source', () => {
    const r = tsctr(sb, ['tag', 'nothere', 'x:1']);
    expect(r.code).toBe(125);
    expect(r.stderr.split('\n')[0]).toBe('Error: No such image: nothere:latest');
  });
});

describe('rmi', () => {
  it('untags by name while other names remain', () => {
    const r = tsctr(sb, ['rmi', 'mine:2']);
    expect(r).toMatchObject({ code: 0, stdout: 'Untagged: mine:2\n', stderr: '' });
    expect(tsctr(sb, ['images', '-q', 'mine']).stdout).not.toBe('');
  });

  it('deletes the image with its last name, and frees its layers and blobs', async () => {
    const c = await push('imgs/c', 'v1', await buildBusyboxImage({ salt: 'c' }));
    pull(sb, c.ref);
    const top = c.image.layers.at(-1)!;
    const base = c.image.layers[0]!;
    expect(existsSync(layerDir(sb, top.diffId))).toBe(true);
    const ownBlobs = [c.image.configDigest, c.manifestDigest, top.digest].filter((d) =>
      existsSync(blobFile(sb, d)),
    );
    expect(ownBlobs).toContain(c.image.configDigest);

    const r = tsctr(sb, ['rmi', c.ref]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Untagged: ${c.ref}\nUntagged: ${c.repo}@${c.manifestDigest}\nDeleted: ${c.image.configDigest}\n`,
    );
    expect(imageFiles(sb)).not.toContain(`${hex(c.image.configDigest)}.json`);
    // Its own layer and blobs are gone; the layers other images share stay.
    expect(existsSync(layerDir(sb, top.diffId))).toBe(false);
    for (const d of ownBlobs) expect(existsSync(blobFile(sb, d))).toBe(false);
    expect(existsSync(join(layerDir(sb, base.diffId), 'layer.json'))).toBe(true);
    expect(readdirSync(join(sb.root, 'tmp'))).toEqual([]);
  });

  it('reports each missing image, removes the others, and exits 1', async () => {
    const x = await push('imgs/x', 'v1', await buildBusyboxImage({ salt: 'a' }));
    const y = await push('imgs/y', 'v1', await buildBusyboxImage({ salt: 'b' }));
    pull(sb, x.ref);
    pull(sb, y.ref);
    const r = tsctr(sb, ['rmi', x.ref, 'nothere', y.ref]);
    expect(r.code).toBe(1);
    // Both still have other names (imgs/a, imgs/b), so only their tags go.
    expect(r.stdout).toBe(
      `Untagged: ${x.ref}\nUntagged: ${x.repo}@${x.manifestDigest}\n` +
        `Untagged: ${y.ref}\nUntagged: ${y.repo}@${y.manifestDigest}\n`,
    );
    expect(r.stderr).toBe(
      "Error: No such image: nothere:latest\nHint: see 'tsctr images' for the images present\n",
    );
  });

  it('with -f, reports missing images but succeeds', () => {
    const r = tsctr(sb, ['rmi', '-f', 'nothere']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('Error: No such image: nothere:latest');
  });

  it('by ID, refuses an image with names in several repositories unless forced', () => {
    const id = tsctr(sb, ['images', '-q', 'mine:1']).stdout.trim();
    const r = tsctr(sb, ['rmi', id]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `Error: conflict: unable to delete ${id} (must be forced) - image is referenced in multiple repositories`,
    );
  });
});

describe('rmi of an image a container uses', () => {
  let d: Pushed;
  let cid: string;

  beforeAll(async () => {
    d = await push('imgs/d', 'v1', await buildBusyboxImage({ salt: 'd' }));
    pull(sb, d.ref);
    const run = tsctr(sb, ['run', d.ref, 'true']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    cid = tsctr(sb, ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Image}}'])
      .stdout.split('\n')
      .find((l) => l.endsWith(` ${d.ref}`))!
      .split(' ')[0]!;
    expect(cid).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to remove the last name', () => {
    const r = tsctr(sb, ['rmi', d.ref]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      `Error: conflict: unable to remove repository reference "${d.ref}" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${d.short}`,
    );
  });

  it('refuses to delete it by ID', () => {
    const r = tsctr(sb, ['rmi', d.short]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `Error: conflict: unable to delete ${d.short} (must be forced) - image is being used by stopped container ${cid.slice(0, 12)}`,
    );
  });

  it('deletes it with -f, keeping the layers the container uses', () => {
    const r = tsctr(sb, ['rmi', '-f', d.ref]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Untagged: ${d.ref}\nUntagged: ${d.repo}@${d.manifestDigest}\nDeleted: ${d.image.configDigest}\n`,
    );
    expect(tsctr(sb, ['images', '-q', '--no-trunc']).stdout).not.toContain(d.image.configDigest);
    expect(tsctr(sb, ['ps', '-aq', '--no-trunc']).stdout).toContain(cid);
    const top = d.image.layers.at(-1)!;
    expect(existsSync(join(layerDir(sb, top.diffId), 'layer.json'))).toBe(true);
    expect(existsSync(blobFile(sb, d.image.configDigest))).toBe(false);
    // A later collection keeps them too.
    expect(tsctr(sb, ['tag', 'mine:1', 'tmp:1']).code).toBe(0);
    expect(tsctr(sb, ['rmi', 'tmp:1']).code).toBe(0);
    expect(existsSync(join(layerDir(sb, top.diffId), 'layer.json'))).toBe(true);
  });

  it('inspects the container at the top level', () => {
    const r = tsctr(sb, ['inspect', '-f', '{{.State.Status}} {{.Image}} {{.Config.Image}}', cid]);
    expect(r).toMatchObject({
      code: 0,
      stdout: `exited ${d.image.configDigest} ${d.ref}\n`,
      stderr: '',
    });
  });
});

describe('image inspect', () => {
  let e: Pushed;

  beforeAll(async () => {
    e = await push('imgs/e', 'v1', await buildBusyboxImage({ salt: 'e' }));
    pull(sb, e.ref);
  });

  it("prints docker's keys as an indented JSON array", () => {
    const r = tsctr(sb, ['image', 'inspect', e.ref]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('[\n    {\n        "Id": "sha256:')).toBe(true);
    const [obj] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Object.keys(obj!)).toEqual([
      'Id',
      'RepoTags',
      'RepoDigests',
      'Parent',
      'Comment',
      'Created',
      'DockerVersion',
      'Author',
      'Config',
      'Architecture',
      'Os',
      'Size',
      'GraphDriver',
      'RootFS',
      'Metadata',
    ]);
    expect(obj).toMatchObject({
      Id: e.image.configDigest,
      RepoTags: [e.ref],
      RepoDigests: [`${e.repo}@${e.manifestDigest}`],
      Parent: '',
      Created: '2023-11-14T22:13:20Z',
      Architecture: 'amd64',
      Os: 'linux',
      RootFS: { Type: 'layers', Layers: e.image.layers.map((l) => l.diffId) },
      Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    });
    const config = obj!.Config as Record<string, unknown>;
    expect(Object.keys(config)).toEqual([
      'Hostname',
      'Domainname',
      'User',
      'AttachStdin',
      'AttachStdout',
      'AttachStderr',
      'Tty',
      'OpenStdin',
      'StdinOnce',
      'Env',
      'Cmd',
      'Image',
      'Volumes',
      'WorkingDir',
      'Entrypoint',
      'OnBuild',
      'Labels',
    ]);
    expect(config.Cmd).toEqual(['sh']);
    expect(config.Entrypoint).toBeNull();
    const gd = obj!.GraphDriver as { Name: string; Data: Record<string, string> };
    expect(gd.Name).toBe('overlay');
    expect(gd.Data.UpperDir).toBe(join(layerDir(sb, e.image.layers[2]!.diffId), 'diff'));
  });

  it('applies -f to each image', () => {
    const r = tsctr(sb, ['image', 'inspect', '-f', '{{.Id}}', e.ref, e.short]);
    expect(r).toMatchObject({
      code: 0,
      stdout: `${e.image.configDigest}\n${e.image.configDigest}\n`,
      stderr: '',
    });
  });

  it('prints what it found and an error for the rest, exiting 1', () => {
    const r = tsctr(sb, ['image', 'inspect', '-f', '{{.Id}}', 'nothere', e.ref]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${e.image.configDigest}\n`);
    expect(r.stderr.split('\n')[0]).toBe('Error: No such image: nothere:latest');
    const none = tsctr(sb, ['image', 'inspect', 'nothere']);
    expect(none.stdout).toBe('[]\n');
    expect(none.code).toBe(1);
  });

  it('finds images at the top level, and says when nothing has the name', () => {
    expect(tsctr(sb, ['inspect', '-f', '{{.Id}}', e.ref]).stdout).toBe(`${e.image.configDigest}\n`);
    const r = tsctr(sb, ['inspect', 'nothere']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('[]\n');
    expect(r.stderr.split('\n')[0]).toBe('Error: No such object: nothere');
    const typed = tsctr(sb, ['inspect', '--type', 'volume', 'x']);
    expect(typed.code).toBe(125);
    expect(typed.stderr.split('\n')[0]).toBe('Error: inspect --type volume is not supported yet');
  });
});

describe('history', () => {
  it('lists the config history newest first with layer sizes', () => {
    const e = `${reg.host}/imgs/e:v1`;
    const id = tsctr(sb, ['images', '-q', e]).stdout.trim();
    const diffIds = (
      JSON.parse(tsctr(sb, ['image', 'inspect', e]).stdout) as { RootFS: { Layers: string[] } }[]
    )[0]!.RootFS.Layers;
    const size = (diffId: string) =>
      (
        JSON.parse(readFileSync(join(layerDir(sb, diffId), 'layer.json'), 'utf8')) as {
          size: number;
        }
      ).size;
    const r = tsctr(sb, ['history', '-H=false', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', e]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${id}|CMD ["sh"]|0`,
      `<missing>|ADD layer3 /|${size(diffIds[2]!)}`,
      `<missing>|RUN rm gone.txt etc/motd; reset old/|${size(diffIds[1]!)}`,
      `<missing>|ADD busybox rootfs /|${size(diffIds[0]!)}`,
    ]);
  });

  it("prints docker's table and -q", () => {
    const e = `${reg.host}/imgs/e:v1`;
    const table = tsctr(sb, ['history', e]).stdout.split('\n');
    expect(table[0]).toMatch(/^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$/);
    expect(table[1]).toMatch(/^[0-9a-f]{12} +\d+ \w+ ago +CMD \["sh"\] +0B +$/);
    const q = tsctr(sb, ['history', '-q', e]).stdout.split('\n');
    expect(q.slice(1, 4)).toEqual(['<missing>', '<missing>', '<missing>']);
  });

  it('reports a missing image', () => {
    const r = tsctr(sb, ['history', 'nothere']);
    expect(r.code).toBe(125);
    expect(r.stderr.split('\n')[0]).toBe('Error: No such image: nothere:latest');
  });
});

describe('dangling images: images filters and image prune', () => {
  let old: Pushed;
  let now: Pushed;

  beforeAll(async () => {
    const base = await buildBusyboxImage({ salt: 'f' });
    old = await push('imgs/f', 'v1', base);
    pull(sb, old.ref);
    // The tag moves to an image with other config (same layers): the first one dangles.
    now = await push('imgs/f', 'v1', labelled(base, { 'com.example.k': 'v' }));
    pull(sb, now.ref);
  });

  it('lists dangling images with dangling=true', () => {
    const r = tsctr(sb, [
      'images',
      '-f',
      'dangling=true',
      '--format',
      '{{.Repository}} {{.Tag}} {{.ID}}',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: `${old.repo} <none> ${old.short}\n`, stderr: '' });
    const tagged = tsctr(sb, ['images', '-f', 'dangling=false', '--format', '{{.Tag}}']).stdout;
    expect(tagged.split('\n')).toContain('v1');
  });

  it('filters by reference pattern and label', () => {
    const byRef = tsctr(sb, [
      'images',
      '-f',
      'reference=mine:*',
      '--format',
      '{{.Repository}}:{{.Tag}}',
    ]);
    expect(byRef.stdout).toBe('mine:1\n');
    const byLabel = tsctr(sb, ['images', '-f', 'label=com.example.k=v', '--format', '{{.ID}}']);
    expect(byLabel.stdout).toBe(`${now.short}\n`);
    expect(tsctr(sb, ['images', '-f', 'label=com.example.k=w', '-q']).stdout).toBe('');
  });

  it("refuses unknown filters with docker's words", () => {
    const bad = tsctr(sb, ['images', '-f', 'bogus=1']);
    expect(bad.code).toBe(125);
    expect(bad.stderr.split('\n')[0]).toBe("Error: invalid filter 'bogus'");
    const value = tsctr(sb, ['images', '-f', 'dangling=maybe']);
    expect(value.code).toBe(125);
    expect(value.stderr.split('\n')[0]).toBe("Error: invalid filter 'dangling=[maybe]'");
    const format = tsctr(sb, ['images', '-f', 'nofilter']);
    expect(format.code).toBe(125);
    expect(format.stderr.split('\n')[0]).toBe(
      'Error: invalid argument "nofilter" for "-f, --filter" flag: bad format of filter (expected name=value)',
    );
  });

  it('asks before pruning, and does nothing on no', () => {
    const r = tsctr(sb, ['image', 'prune'], { input: 'n\n' });
    expect(r).toMatchObject({
      code: 0,
      stdout:
        'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ',
      stderr: '',
    });
    expect(imageFiles(sb)).toContain(`${hex(old.image.configDigest)}.json`);
  });

  it('prunes dangling images with -f', () => {
    const r = tsctr(sb, ['image', 'prune', '-f']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [head, ...rest] = r.stdout.split('\n');
    expect([head, ...rest.slice(0, 3)]).toEqual([
      'Deleted Images:',
      `untagged: ${old.repo}@${old.manifestDigest}`,
      `deleted: ${old.image.configDigest}`,
      '',
    ]);
    expect(rest[3]).toMatch(/^Total reclaimed space: \d+(\.\d+)?[kMG]?B$/);
    expect(imageFiles(sb)).not.toContain(`${hex(old.image.configDigest)}.json`);
    expect(existsSync(blobFile(sb, old.image.configDigest))).toBe(false);
    // The layers are the tagged image's too.
    for (const l of old.image.layers) expect(existsSync(layerDir(sb, l.diffId))).toBe(true);
    const again = tsctr(sb, ['image', 'prune', '-f']);
    expect(again).toMatchObject({ code: 0, stdout: 'Total reclaimed space: 0B\n' });
  });

  it("refuses prune filters docker's daemon does not know", () => {
    const r = tsctr(sb, ['image', 'prune', '-f', '--filter', 'foo=bar']);
    expect(r.code).toBe(125);
    expect(r.stderr.split('\n')[0]).toBe("Error: invalid filter 'foo'");
  });
});
