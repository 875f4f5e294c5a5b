import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../fixtures/digest.ts';
import {
  blobExists,
  buildBusyboxImage,
  corruptBlobOnDisk,
  MEDIA_TYPES,
  pushImage,
  pushRawBlob,
  putManifest,
  RegistryHttpError,
  seedBusybox,
  withWrongDiffId,
  withWrongLayerSize,
  type TestImage,
} from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';

const ALL_MANIFEST_TYPES = [
  MEDIA_TYPES.docker.manifest,
  MEDIA_TYPES.docker.index,
  MEDIA_TYPES.oci.manifest,
  MEDIA_TYPES.oci.index,
].join(', ');

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const res = await request(url, { headers });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: Buffer.from(await res.body.arrayBuffer()),
  };
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // An exited child nobody has reaped yet still answers signals.
  return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

describe('test registry without auth', () => {
  let registry: TestRegistry;
  let image: TestImage;

  beforeAll(async () => {
    registry = await startRegistry();
    image = await buildBusyboxImage();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('serves the v2 API on loopback', async () => {
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await get(`${registry.url}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(existsSync(`${registry.dir}/config.yml`)).toBe(true);
  });

  it('pushes a Docker schema2 image that reads back byte for byte', async () => {
    const pushed = await seedBusybox(registry.host, 'seeded/busybox', 'v1');
    expect(pushed.manifestDigest).toBe(sha256Digest(pushed.manifest));

    const manifest = await get(`${registry.url}/v2/seeded/busybox/manifests/v1`, {
      accept: MEDIA_TYPES.docker.manifest,
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers['content-type']).toBe(MEDIA_TYPES.docker.manifest);
    expect(manifest.headers['docker-content-digest']).toBe(pushed.manifestDigest);
    expect(manifest.body.equals(pushed.manifest)).toBe(true);
    const doc = JSON.parse(manifest.body.toString('utf8'));
    expect(doc.config.digest).toBe(image.configDigest);
    expect(doc.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      MEDIA_TYPES.docker.layer.gzip,
      MEDIA_TYPES.docker.layer.none,
      MEDIA_TYPES.docker.layer.gzip,
    ]);

    const config = await get(`${registry.url}/v2/seeded/busybox/blobs/${image.configDigest}`);
    expect(config.status).toBe(200);
    expect(sha256Digest(config.body)).toBe(image.configDigest);

    const plain = image.layers[1]!;
    const layer = await get(`${registry.url}/v2/seeded/busybox/blobs/${plain.digest}`);
    expect(layer.body.equals(plain.tar)).toBe(true);
    for (const l of image.layers) {
      expect(await blobExists(registry.host, 'seeded/busybox', l.digest)).toBe(true);
    }
  });

  it('pushes an OCI image, hidden from clients that do not accept OCI', async () => {
    const pushed = await pushImage(registry.host, 'oci/busybox', 'latest', image, {
      format: 'oci',
    });
    const url = `${registry.url}/v2/oci/busybox/manifests/latest`;
    const manifest = await get(url, { accept: MEDIA_TYPES.oci.manifest });
    expect(manifest.status).toBe(200);
    expect(manifest.headers['content-type']).toBe(MEDIA_TYPES.oci.manifest);
    expect(sha256Digest(manifest.body)).toBe(pushed.manifestDigest);
    const doc = JSON.parse(manifest.body.toString('utf8'));
    expect(doc.layers[1].mediaType).toBe(MEDIA_TYPES.oci.layer.none);

    // distribution 2.8 answers MANIFEST_UNKNOWN rather than serve OCI unasked.
    const unasked = await get(url, { accept: MEDIA_TYPES.docker.manifest });
    expect(unasked.status).toBe(404);
    expect(unasked.body.toString()).toContain('MANIFEST_UNKNOWN');
  });

  for (const format of ['docker', 'oci'] as const) {
    it(`pushes a ${format} index with amd64 and a bogus arm64 entry`, async () => {
      const repo = `index-${format}/busybox`;
      const pushed = await pushImage(registry.host, repo, 'multi', image, {
        format,
        index: true,
      });
      const index = await get(`${registry.url}/v2/${repo}/manifests/multi`, {
        accept: ALL_MANIFEST_TYPES,
      });
      expect(index.status).toBe(200);
      expect(index.headers['content-type']).toBe(MEDIA_TYPES[format].index);
      expect(index.headers['docker-content-digest']).toBe(pushed.indexDigest);
      const doc = JSON.parse(index.body.toString('utf8'));
      expect(
        doc.manifests.map((m: { digest: string; platform: object }) => [m.digest, m.platform]),
      ).toEqual([
        [pushed.manifestDigest, { architecture: 'amd64', os: 'linux' }],
        [pushed.arm64ManifestDigest, { architecture: 'arm64', os: 'linux', variant: 'v8' }],
      ]);

      const arm = await get(`${registry.url}/v2/${repo}/manifests/${pushed.arm64ManifestDigest}`, {
        accept: ALL_MANIFEST_TYPES,
      });
      expect(arm.status).toBe(200);
      const armConfigDigest = JSON.parse(arm.body.toString('utf8')).config.digest;
      const armConfig = await get(`${registry.url}/v2/${repo}/blobs/${armConfigDigest}`);
      expect(JSON.parse(armConfig.body.toString('utf8'))).toMatchObject({
        architecture: 'arm64',
        variant: 'v8',
      });
    });
  }

  it('resolves a Docker manifest list to amd64 for clients that do not accept lists', async () => {
    const pushed = await pushImage(registry.host, 'rewrite/busybox', 'multi', image, {
      index: true,
    });
    const res = await get(`${registry.url}/v2/rewrite/busybox/manifests/multi`, {
      accept: MEDIA_TYPES.docker.manifest,
    });
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(pushed.manifestDigest);
  });

  it('refuses an upload under the wrong digest', async () => {
    const err = await pushRawBlob(registry.host, 'hostile/a', Buffer.from('payload'), {
      digest: sha256Digest('something else'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryHttpError);
    expect((err as RegistryHttpError).status).toBe(400);
    expect((err as RegistryHttpError).body).toContain('DIGEST_INVALID');
  });

  it('refuses a manifest that references a missing blob', async () => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.oci.manifest,
      config: {
        mediaType: MEDIA_TYPES.oci.config,
        size: 2,
        digest: sha256Digest('{}'),
      },
      layers: [],
    });
    const err = await putManifest(
      registry.host,
      'hostile/missing',
      'x',
      manifest,
      MEDIA_TYPES.oci.manifest,
    ).catch((e: unknown) => e);
    expect((err as RegistryHttpError).status).toBe(400);
    expect((err as RegistryHttpError).body).toContain('MANIFEST_BLOB_UNKNOWN');
  });

  it('accepts manifests that lie about diff_ids and sizes, which it cannot check', async () => {
    const wrongDiff = await pushImage(
      registry.host,
      'hostile/diffid',
      'x',
      withWrongDiffId(image, 0),
    );
    const served = await get(`${registry.url}/v2/hostile/diffid/manifests/x`, {
      accept: MEDIA_TYPES.docker.manifest,
    });
    expect(served.headers['docker-content-digest']).toBe(wrongDiff.manifestDigest);

    await pushImage(registry.host, 'hostile/size', 'x', withWrongLayerSize(image, 2, 7));
    const sized = await get(`${registry.url}/v2/hostile/size/manifests/x`, {
      accept: MEDIA_TYPES.docker.manifest,
    });
    const doc = JSON.parse(sized.body.toString('utf8'));
    expect(doc.layers[2].size).toBe(image.layers[2]!.blob.length + 7);
    const blob = await get(`${registry.url}/v2/hostile/size/blobs/${image.layers[2]!.digest}`);
    expect(blob.body.length).toBe(image.layers[2]!.blob.length);
  });

  it('serves a blob corrupted on disk under its old digest', async () => {
    const salted = await buildBusyboxImage({ salt: 'corrupt-me' });
    await pushImage(registry.host, 'hostile/corrupt', 'x', salted);
    const victim = salted.layers[2]!;
    await corruptBlobOnDisk(registry, victim.digest);
    const res = await get(`${registry.url}/v2/hostile/corrupt/blobs/${victim.digest}`);
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(victim.digest);
    expect(res.body.length).toBe(victim.blob.length);
    expect(sha256Digest(res.body)).not.toBe(victim.digest);
  });
});

describe('test registry lifecycle', () => {
  it('stop() kills the process and removes its directory', async () => {
    const registry = await startRegistry();
    await registry.stop();
    expect(processGone(registry.pid)).toBe(true);
    expect(existsSync(registry.dir)).toBe(false);
    await expect(get(`${registry.url}/v2/`)).rejects.toThrow();
  });

  it('kills the registry when the Node process exits without stop()', () => {
    const script = `
      import { startRegistry } from ${JSON.stringify(new URL('../fixtures/registry.ts', import.meta.url).pathname)};
      const r = await startRegistry();
      console.log(JSON.stringify({ pid: r.pid, dir: r.dir }));
      process.exit(0);
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const { pid, dir } = JSON.parse(out) as { pid: number; dir: string };
    expect(processGone(pid)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('test registry with token auth', () => {
  let registry: TestRegistry;
  let image: TestImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token' });
    image = await buildBusyboxImage();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  function parseChallenge(header: unknown): Record<string, string> {
    expect(typeof header).toBe('string');
    const [scheme, ...rest] = (header as string).split(' ');
    expect(scheme).toBe('Bearer');
    return Object.fromEntries(
      [...rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
  }

  it('challenges anonymous requests with a Bearer realm', async () => {
    const res = await get(`${registry.url}/v2/`);
    expect(res.status).toBe(401);
    const challenge = parseChallenge(res.headers['www-authenticate']);
    expect(challenge.realm).toBe(registry.tokenServer?.realm);
    expect(challenge.service).toBe(registry.tokenServer?.service);
  });

  it('rejects pushes without a token', async () => {
    const err = await pushImage(registry.host, 'private/busybox', 'latest', image).catch(
      (e: unknown) => e,
    );
    expect((err as RegistryHttpError).status).toBe(401);
  });

  it('serves a pull with a token fetched from the realm', async () => {
    const server = registry.tokenServer!;
    const pushToken = server.issueToken(['repository:private/busybox:pull,push']);
    const pushed = await pushImage(registry.host, 'private/busybox', 'latest', image, {
      token: pushToken,
    });

    const url = `${registry.url}/v2/private/busybox/manifests/latest`;
    const accept = { accept: MEDIA_TYPES.docker.manifest };
    const denied = await get(url, accept);
    expect(denied.status).toBe(401);
    const challenge = parseChallenge(denied.headers['www-authenticate']);
    expect(challenge.scope).toBe('repository:private/busybox:pull');

    const before = server.requests.length;
    const tokenUrl = new URL(challenge.realm!);
    tokenUrl.searchParams.set('service', challenge.service!);
    tokenUrl.searchParams.set('scope', challenge.scope!);
    const tokenRes = await get(tokenUrl.href);
    expect(tokenRes.status).toBe(200);
    const { token } = JSON.parse(tokenRes.body.toString('utf8')) as { token: string };
    expect(server.requests.slice(before)).toEqual([
      {
        method: 'GET',
        service: challenge.service,
        scopes: ['repository:private/busybox:pull'],
        account: null,
        granted: true,
      },
    ]);

    const allowed = await get(url, { ...accept, authorization: `Bearer ${token}` });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['docker-content-digest']).toBe(pushed.manifestDigest);
  });

  it('refuses a token scoped to another repository', async () => {
    const token = registry.tokenServer!.issueToken(['repository:other/repo:pull']);
    const res = await get(`${registry.url}/v2/private/busybox/manifests/latest`, {
      accept: MEDIA_TYPES.docker.manifest,
      authorization: `Bearer ${token}`,
    });
    expect(res.status).toBe(401);
    expect(parseChallenge(res.headers['www-authenticate']).error).toBe('insufficient_scope');
  });

  it('refuses a token signed by an unknown key', async () => {
    const other = await startRegistry({ auth: 'token' });
    try {
      const foreign = other.tokenServer!.issueToken(['repository:private/busybox:pull']);
      const res = await get(`${registry.url}/v2/private/busybox/manifests/latest`, {
        accept: MEDIA_TYPES.docker.manifest,
        authorization: `Bearer ${foreign}`,
      });
      expect(res.status).toBe(401);
      expect(parseChallenge(res.headers['www-authenticate']).error).toBe('invalid_token');
    } finally {
      await other.stop();
    }
  });
});

describe('token server with credentials', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({
      auth: 'token',
      credentials: { username: 'alice', password: 's3cret' },
    });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('issues tokens only to the configured user, over GET and OAuth2 POST', async () => {
    const server = registry.tokenServer!;
    const query = `service=${server.service}&scope=repository:x/y:pull`;
    const anonymous = await get(`${server.realm}?${query}`);
    expect(anonymous.status).toBe(401);
    const wrong = await get(`${server.realm}?${query}`, {
      authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}`,
    });
    expect(wrong.status).toBe(401);
    const basic = await get(`${server.realm}?${query}`, {
      authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}`,
    });
    expect(basic.status).toBe(200);

    const form = new URLSearchParams({
      grant_type: 'password',
      username: 'alice',
      password: 's3cret',
      service: server.service,
      scope: 'repository:x/y:pull',
    });
    const post = await request(server.realm, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const { access_token: accessToken } = (await post.body.json()) as { access_token: string };
    expect(post.statusCode).toBe(200);

    expect(server.requests.map((r) => [r.method, r.account, r.granted])).toEqual([
      ['GET', null, false],
      ['GET', 'alice', false],
      ['GET', 'alice', true],
      ['POST', 'alice', true],
    ]);
    // The registry accepts the token; the repository just does not exist.
    const res = await get(`${registry.url}/v2/x/y/tags/list`, {
      authorization: `Bearer ${accessToken}`,
    });
    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain('NAME_UNKNOWN');
  });
});
