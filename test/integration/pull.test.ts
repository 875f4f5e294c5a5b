/**
 * Pull against a real registry: manifest formats, platform choice, digests, token auth, and
 * registries that lie — a corrupted blob or a config that disagrees with its layers must be
 * refused with nothing stored, and the next pull must work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  buildBusyboxImage,
  corruptBlobOnDisk,
  pushImage,
  withWrongDiffId,
  withWrongLayerSize,
  type TestImage,
} from '../fixtures/images.ts';
import { sandbox, tsctr, tsctrAwait, type Sandbox } from './harness.ts';
import { traceTsctr } from './trace.ts';

let reg: TestRegistry;
let sb: Sandbox;

beforeAll(async () => {
  reg = await startRegistry();
  sb = sandbox();
});

afterAll(async () => {
  sb?.cleanup();
  await reg?.stop();
});

function ok(r: { code: number | null; stderr: string }): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

function layerCount(s: Sandbox): number {
  return existsSync(join(s.root, 'layers')) ? readdirSync(join(s.root, 'layers')).length : 0;
}

describe('formats', () => {
  it('pulls an OCI index, choosing linux/amd64, and runs it', async () => {
    const image = await buildBusyboxImage({ salt: 'oci' });
    const pushed = await pushImage(reg.host, 'oci/busybox', 'v1', image, {
      format: 'oci',
      index: true,
    });
    const r = tsctr(sb, ['pull', `${reg.host}/oci/busybox:v1`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Digest: ${pushed.indexDigest}`);
    const run = tsctr(sb, ['run', '--rm', `${reg.host}/oci/busybox:v1`, 'cat', '/etc/salt']);
    expect(run.stdout).toBe('oci\n');
  });

  it('pulls a Docker manifest list and a plain manifest by digest', async () => {
    const image = await buildBusyboxImage({ salt: 'list' });
    await pushImage(reg.host, 'docker/list', 'v1', image, { format: 'docker', index: true });
    expect(tsctr(sb, ['pull', `${reg.host}/docker/list:v1`]).code).toBe(0);
    const plain = await pushImage(reg.host, 'docker/plain', 'v1', image, { format: 'docker' });
    const byDigest = `${reg.host}/docker/plain@${plain.manifestDigest}`;
    const r = tsctr(sb, ['pull', byDigest]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(byDigest);
  });

  it('refuses a digest the registry does not match', async () => {
    const r = tsctr(sb, ['pull', `${reg.host}/docker/plain@sha256:${'0'.repeat(64)}`]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Error: manifest for .* not found/);
  });
});

describe('layer writers', () => {
  it('unpacks the layers of a pull through one writer process, a lane per layer', async () => {
    const image = await buildBusyboxImage({ salt: 'lanes' });
    await pushImage(reg.host, 'lanes/busybox', 'v1', image, { format: 'docker' });
    const fresh = sandbox();
    try {
      const t = traceTsctr(fresh, ['pull', '-q', `${reg.host}/lanes/busybox:v1`], []);
      const count = (program: string) => t.execs.filter((e) => e === program).length;
      expect(image.layers).toHaveLength(3);
      expect([count('tsctr-unpack'), count('newuidmap'), count('newgidmap')]).toEqual([1, 1, 1]);
      expect(
        tsctr(fresh, ['run', '--rm', `${reg.host}/lanes/busybox:v1`, 'cat', '/etc/salt']).stdout,
      ).toBe('lanes\n');
    } finally {
      fresh.cleanup();
    }
  });

  it('loads every layer of an archive through one writer', async () => {
    const fresh = sandbox();
    try {
      const ref = `${reg.host}/lanes/busybox:v1`;
      ok(tsctr(fresh, ['pull', '-q', ref]));
      const archive = join(fresh.dir, 'image.tar');
      ok(tsctr(fresh, ['save', '-o', archive, ref]));
      ok(tsctr(fresh, ['rmi', ref]));
      const t = traceTsctr(fresh, ['load', '-q', '-i', archive], []);
      expect(t.execs.filter((e) => e === 'tsctr-unpack')).toHaveLength(1);
      expect(tsctr(fresh, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('lanes\n');
    } finally {
      fresh.cleanup();
    }
  });
});

describe('an image the store has', () => {
  it('is checked with one request: its platform manifest and config come from the store', async () => {
    const image = await buildBusyboxImage({ salt: 'stored' });
    const pushed = await pushImage(reg.host, 'stored/busybox', 'v1', image, {
      format: 'oci',
      index: true,
    });
    const ref = `${reg.host}/stored/busybox:v1`;
    const fresh = sandbox();
    try {
      ok(tsctr(fresh, ['pull', '-q', ref]));
      // From now on the registry serves both damaged: a pull that fetched either would fail.
      await corruptBlobOnDisk(reg, image.configDigest);
      await corruptBlobOnDisk(reg, pushed.manifestDigest);
      const again = tsctr(fresh, ['pull', ref]);
      ok(again);
      expect(again.stdout).toContain(`Digest: ${pushed.indexDigest}`);
      expect(again.stdout).toContain(`Status: Image is up to date for ${ref}`);
      // A damaged copy in the store is fetched again, and replaced.
      await corruptBlobOnDisk(reg, image.configDigest, image.config);
      const kept = join(fresh.root, 'blobs/sha256', image.configDigest.slice(7));
      writeFileSync(kept, 'damaged');
      ok(tsctr(fresh, ['pull', '-q', ref]));
      expect(readFileSync(kept)).toEqual(image.config);
    } finally {
      await corruptBlobOnDisk(reg, image.configDigest, image.config);
      await corruptBlobOnDisk(reg, pushed.manifestDigest, pushed.manifest);
      fresh.cleanup();
    }
  });
});

describe('a registry that lies', () => {
  let image: TestImage;

  beforeAll(async () => {
    image = await buildBusyboxImage({ salt: 'corrupt' });
  });

  it('rejects a corrupted blob, stores nothing, and pulls again once it is fixed', async () => {
    const fresh = sandbox();
    try {
      await pushImage(reg.host, 'lies/blob', 'v1', image, { format: 'docker' });
      const last = image.layers.at(-1)!;
      const path = await corruptBlobOnDisk(reg, last.digest);
      const r = tsctr(fresh, ['pull', `${reg.host}/lies/blob:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(new RegExp(`^Error: layer ${last.digest} failed verification`));
      expect(
        existsSync(join(fresh.root, 'images')) ? readdirSync(join(fresh.root, 'images')) : [],
      ).toEqual([]);
      expect(readdirSync(join(fresh.root, 'layers')).map((d) => `sha256:${d}`)).not.toContain(
        last.diffId,
      );
      expect(readdirSync(join(fresh.root, 'tmp'))).toEqual([]);
      // Repair the registry's copy: the next pull succeeds with the store still usable.
      await corruptBlobOnDisk(reg, last.digest, last.blob);
      void path;
      const again = tsctr(fresh, ['pull', `${reg.host}/lies/blob:v1`]);
      expect(again.code).toBe(0);
      expect(
        tsctr(fresh, ['run', '--rm', `${reg.host}/lies/blob:v1`, 'cat', '/etc/salt']).stdout,
      ).toBe('corrupt\n');
    } finally {
      fresh.cleanup();
    }
  });

  it('rejects layers that do not match the config diff_ids', async () => {
    const fresh = sandbox();
    try {
      const bad = withWrongDiffId(await buildBusyboxImage({ salt: 'diffid' }), 2);
      await pushImage(reg.host, 'lies/diffid', 'v1', bad, { format: 'oci' });
      const r = tsctr(fresh, ['pull', `${reg.host}/lies/diffid:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(/does not match the image config: diff_id/);
      expect(
        existsSync(join(fresh.root, 'images')) ? readdirSync(join(fresh.root, 'images')) : [],
      ).toEqual([]);
      expect(layerCount(fresh)).toBeLessThan(3);
    } finally {
      fresh.cleanup();
    }
  });
});

describe('declared sizes', () => {
  it('refuses a layer whose size differs from the manifest, storing nothing', async () => {
    const fresh = sandbox();
    try {
      const bad = withWrongLayerSize(await buildBusyboxImage({ salt: 'size' }), 2, 1);
      await pushImage(reg.host, 'lies/size', 'v1', bad, { format: 'docker' });
      const r = tsctr(fresh, ['pull', `${reg.host}/lies/size:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(
        /failed verification: the registry sent \d+ bytes, the manifest declares \d+/,
      );
      expect(
        existsSync(join(fresh.root, 'images')) ? readdirSync(join(fresh.root, 'images')) : [],
      ).toEqual([]);
      expect(readdirSync(join(fresh.root, 'tmp'))).toEqual([]);
    } finally {
      fresh.cleanup();
    }
  });
});

describe('token authentication', () => {
  it('pulls from a registry that demands Bearer tokens', async () => {
    const secured = await startRegistry({ auth: 'token' });
    try {
      const image = await buildBusyboxImage({ salt: 'token' });
      const token = secured.tokenServer!.issueToken(['repository:secure/busybox:pull,push']);
      await pushImage(secured.host, 'secure/busybox', 'v1', image, { token });
      const before = secured.tokenServer!.requests.length;
      const r = await tsctrAwait(sb, ['pull', `${secured.host}/secure/busybox:v1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const asked = secured.tokenServer!.requests.slice(before);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked[0]!.scopes).toContain('repository:secure/busybox:pull');
    } finally {
      await secured.stop();
    }
  });
});
