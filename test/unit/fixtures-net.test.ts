import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../fixtures/digest.ts';
import {
  buildBusyboxImage,
  DEFAULT_PLATFORMS,
  MEDIA_TYPES,
  pushImage,
  pushRawBlob,
  RegistryHttpError,
  seedBusybox,
  seedImageWithPlatforms,
  type TestImage,
} from '../fixtures/images.ts';
import {
  corrupt,
  deadPort,
  denied,
  firstAttemptOnly,
  parseRoute,
  rateLimited,
  respond,
  stall,
  startBlackHole,
  startRegistryProxy,
  truncate,
  type RegistryProxy,
} from '../fixtures/net.ts';
import { HTPASSWD_REALM, startRegistry, type TestRegistry } from '../fixtures/registry.ts';

const MANIFEST_ACCEPT = [
  MEDIA_TYPES.docker.manifest,
  MEDIA_TYPES.docker.index,
  MEDIA_TYPES.oci.manifest,
  MEDIA_TYPES.oci.index,
].join(', ');

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function get(
  url: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'HEAD' = 'GET',
): Promise<Response> {
  const res = await request(url, { method, headers });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: Buffer.from(await res.body.arrayBuffer()),
  };
}

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The first file of a one-file-first tar: [name, content]. */
function firstTarFile(tar: Buffer): [string, string] {
  const name = tar.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  const size = parseInt(tar.subarray(124, 136).toString('utf8').replace(/\0.*$/s, ''), 8);
  return [name, tar.subarray(512, 512 + size).toString('utf8')];
}

describe('black hole and dead port', () => {
  it('accepts connections and never answers until closed', async () => {
    const hole = await startBlackHole();
    try {
      const started = Date.now();
      await expect(request(`${hole.url}/v2/`, { headersTimeout: 300 })).rejects.toMatchObject({
        code: 'UND_ERR_HEADERS_TIMEOUT',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(hole.accepted).toBe(1);
      expect(hole.bytesReceived).toBeGreaterThan(0);

      // A pending request sees its connection dropped when the hole closes.
      const pending = request(`${hole.url}/v2/`, { headersTimeout: 60_000 });
      while (hole.accepted < 2) await sleep(10);
      await hole.close();
      await expect(pending).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
      expect(await connectError(hole.port)).toBe('ECONNREFUSED');
    } finally {
      await hole.close();
    }
  });

  it('deadPort refuses connections, below the ephemeral range', async () => {
    const port = await deadPort();
    const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(port).toBeLessThan(low!);
    expect(await connectError(port)).toBe('ECONNREFUSED');
    await expect(request(`http://127.0.0.1:${port}/v2/`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});

describe('registry proxy', () => {
  let registry: TestRegistry;
  let proxy: RegistryProxy;
  let image: TestImage;
  let manifestDigest: string;
  /** The big busybox layer (about 1 MB). */
  let blob: Buffer;
  let blobPath: string;

  beforeAll(async () => {
    registry = await startRegistry();
    const seeded = await seedBusybox(registry.host, 'net/busybox');
    image = seeded.image;
    manifestDigest = seeded.manifestDigest;
    blob = image.layers[0]!.blob;
    blobPath = `/v2/net/busybox/blobs/${image.layers[0]!.digest}`;
    proxy = await startRegistryProxy(registry);
  });
  afterAll(async () => {
    await proxy?.close();
    await registry?.stop();
  });

  function behave(rule: Parameters<RegistryProxy['setBehaviour']>[0]): void {
    proxy.setBehaviour(rule);
    proxy.reset();
  }

  it('passes manifests, blobs and HEAD through and logs them', async () => {
    behave(() => undefined);
    const manifest = await get(`${proxy.url}/v2/net/busybox/manifests/latest`, {
      accept: MANIFEST_ACCEPT,
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers['docker-content-digest']).toBe(manifestDigest);
    const head = await get(`${proxy.url}${blobPath}`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(blob.length));
    const layer = await get(`${proxy.url}${blobPath}`);
    expect(layer.body.equals(blob)).toBe(true);

    expect(proxy.upstream).toBe(registry.url);
    expect(proxy.log.map((e) => [e.method, e.route.kind, e.status, e.attempt, e.host])).toEqual([
      ['GET', 'manifest', 200, 1, proxy.host],
      ['HEAD', 'blob', 200, 1, proxy.host],
      ['GET', 'blob', 200, 1, proxy.host],
    ]);
    expect(proxy.log[2]).toMatchObject({ action: 'pass', bytes: blob.length, range: undefined });
  });

  it('keeps uploads on the proxy (Location rewritten) and forwards chunked bodies', async () => {
    behave(() => undefined);
    const content = Buffer.from('uploaded through the proxy in chunks\n'.repeat(1000));
    const start = await request(`${proxy.url}/v2/net/upload/blobs/uploads/`, { method: 'POST' });
    await start.body.dump();
    expect(start.statusCode).toBe(202);
    const location = start.headers.location as string;
    expect(location.startsWith(`${proxy.url}/v2/net/upload/blobs/uploads/`)).toBe(true);

    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < content.length; i += 4096) yield content.subarray(i, i + 4096);
    }
    const patch = await request(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
      body: Readable.from(chunks()),
    });
    await patch.body.dump();
    expect(patch.statusCode).toBe(202);
    const next = new URL(patch.headers.location as string);
    expect(next.origin).toBe(proxy.url);
    next.searchParams.set('digest', sha256Digest(content));
    const put = await request(next, { method: 'PUT' });
    await put.body.dump();
    expect(put.statusCode).toBe(201);
    expect(new URL(put.headers.location as string).origin).toBe(proxy.url);

    const direct = await get(`${registry.url}/v2/net/upload/blobs/${sha256Digest(content)}`);
    expect(direct.body.equals(content)).toBe(true);
    expect(proxy.log.map((e) => [e.method, e.route.kind, e.status])).toEqual([
      ['POST', 'upload', 202],
      ['PATCH', 'upload', 202],
      ['PUT', 'upload', 201],
    ]);

    // The push helpers work through it too.
    const pushed = await pushImage(proxy.host, 'net/pushed', 'v1', image);
    const served = await get(`${registry.url}/v2/net/pushed/manifests/v1`, {
      accept: MANIFEST_ACCEPT,
    });
    expect(served.headers['docker-content-digest']).toBe(pushed.manifestDigest);
  });

  it('answers with a status, headers and body of its own', async () => {
    behave((r) => {
      if (r.route.kind === 'base')
        return respond(503, 'down for maintenance', {
          'Content-Type': 'text/plain',
        });
      if (r.route.reference === 'denied') return denied();
      if (r.route.reference === 'missing') return respond(404);
      if (r.route.kind === 'manifest') return rateLimited();
      return undefined;
    });
    const down = await get(`${proxy.url}/v2/`);
    expect(down.status).toBe(503);
    expect(down.headers['content-type']).toBe('text/plain');
    expect(down.body.toString()).toBe('down for maintenance');

    const no = await get(`${proxy.url}/v2/net/busybox/manifests/denied`);
    expect(no.status).toBe(403);
    expect(no.headers['content-type']).toBe('application/json');
    expect(JSON.parse(no.body.toString())).toEqual({
      errors: [{ code: 'DENIED', message: 'not in the allowlist' }],
    });

    const missing = await get(`${proxy.url}/v2/net/busybox/manifests/missing`);
    expect(missing.status).toBe(404);
    expect(missing.body.length).toBe(0);

    const limited = await get(`${proxy.url}/v2/net/busybox/manifests/latest`);
    expect(limited.status).toBe(429);
    expect(limited.headers).toMatchObject({
      'retry-after': '1',
      'ratelimit-limit': '100;w=21600',
      'ratelimit-remaining': '0;w=21600',
    });
    expect(JSON.parse(limited.body.toString()).errors[0].code).toBe('TOOMANYREQUESTS');

    // The blob is still served.
    const layer = await get(`${proxy.url}${blobPath}`);
    expect(layer.status).toBe(200);
    expect(proxy.log.map((e) => [e.action, e.status])).toEqual([
      ['respond', 503],
      ['respond', 403],
      ['respond', 404],
      ['respond', 429],
      ['pass', 200],
    ]);
  });

  it('corrupts one byte of a blob, keeping length and digest header', async () => {
    behave((r) => (r.route.kind === 'blob' ? corrupt(1000) : undefined));
    const res = await get(`${proxy.url}${blobPath}`);
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(image.layers[0]!.digest);
    expect(res.body.length).toBe(blob.length);
    const differing = [...res.body.keys()].filter((i) => res.body[i] !== blob[i]);
    expect(differing).toEqual([1000]);
    expect(res.body[1000]).toBe(blob[1000]! ^ 0xff);
  });

  it('truncates a body and closes the connection', async () => {
    behave((r) => (r.route.kind === 'blob' ? truncate(5000, 'close') : undefined));
    const res = await request(`${proxy.url}${blobPath}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(blob.length));
    const received: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of res.body) received.push(chunk as Buffer);
      })(),
    ).rejects.toThrow();
    const got = Buffer.concat(received);
    expect(got.length).toBe(5000);
    expect(got.equals(blob.subarray(0, 5000))).toBe(true);
    expect(proxy.log[0]).toMatchObject({ action: 'truncate', status: 200, bytes: 5000 });
  });

  it('truncates a body with a short Content-Length and a clean end', async () => {
    behave((r) => (r.route.kind === 'blob' ? truncate(5000, 'short') : undefined));
    const res = await get(`${proxy.url}${blobPath}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('5000');
    expect(res.body.equals(blob.subarray(0, 5000))).toBe(true);
    // The connection stays usable.
    const again = await get(`${proxy.url}/v2/`);
    expect(again.status).toBe(200);
  });

  it('hangs after some bytes until the client gives up', async () => {
    behave((r) => (r.route.kind === 'blob' ? truncate(5000, 'hang') : undefined));
    const res = await request(`${proxy.url}${blobPath}`, { bodyTimeout: 300 });
    expect(res.statusCode).toBe(200);
    await expect(res.body.arrayBuffer()).rejects.toMatchObject({
      code: 'UND_ERR_BODY_TIMEOUT',
    });
    expect(proxy.log[0]).toMatchObject({ action: 'truncate', bytes: 5000 });
  });

  it('stalls before answering', async () => {
    behave((r) => (r.route.kind === 'base' ? stall(400) : undefined));
    const started = Date.now();
    const res = await get(`${proxy.url}/v2/`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);

    // undici checks short timeouts on a coarse (about 0.5 s) clock, so stall well past it.
    behave(() => stall(5000));
    await expect(request(`${proxy.url}/v2/`, { headersTimeout: 300 })).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });

    behave((r) => (r.route.kind === 'base' ? stall(200, rateLimited()) : undefined));
    expect((await get(`${proxy.url}/v2/`)).status).toBe(429);
  });

  it('forwards Range to the registry, which answers 206', async () => {
    behave(() => undefined);
    const direct = await get(`${registry.url}${blobPath}`, { range: 'bytes=100-199' });
    expect(direct.status).toBe(206);
    expect(direct.headers['content-range']).toBe(`bytes 100-199/${blob.length}`);
    expect(direct.body.equals(blob.subarray(100, 200))).toBe(true);

    const tail = await get(`${proxy.url}${blobPath}`, { range: 'bytes=1000-' });
    expect(tail.status).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes 1000-${blob.length - 1}/${blob.length}`);
    expect(tail.body.equals(blob.subarray(1000))).toBe(true);
    expect(proxy.log[0]).toMatchObject({ range: 'bytes=1000-', status: 206 });
  });

  it('cuts only the first attempt, so a client can resume with Range', async () => {
    behave(
      firstAttemptOnly(
        truncate(3000, 'close'),
        (r) => r.method === 'GET' && r.route.kind === 'blob',
      ),
    );
    const first = await request(`${proxy.url}${blobPath}`);
    const head: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of first.body) head.push(chunk as Buffer);
      })(),
    ).rejects.toThrow();
    const got = Buffer.concat(head);
    const rest = await get(`${proxy.url}${blobPath}`, { range: `bytes=${got.length}-` });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([got, rest.body]).equals(blob)).toBe(true);
    expect(proxy.log.map((e) => [e.attempt, e.action, e.range, e.bytes])).toEqual([
      [1, 'truncate', undefined, 3000],
      [2, 'pass', 'bytes=3000-', blob.length - 3000],
    ]);
  });

  it('close() aborts stalled and hung responses and frees the port', async () => {
    const own = await startRegistryProxy(registry, (r) =>
      r.route.kind === 'base' ? stall(60_000) : truncate(10, 'hang'),
    );
    const stalled = request(`${own.url}/v2/`);
    const hung = await request(`${own.url}${blobPath}`);
    const hungBody = hung.body.arrayBuffer();
    while (own.log.length < 2) await sleep(10);
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(stalled).rejects.toThrow();
    await expect(hungBody).rejects.toThrow();
    expect(await connectError(own.port)).toBe('ECONNREFUSED');
  });

  it('classifies registry routes', () => {
    expect(parseRoute('/v2/')).toEqual({ kind: 'base' });
    expect(parseRoute('/v2/_catalog')).toEqual({ kind: 'catalog' });
    expect(parseRoute('/v2/a/b/manifests/latest')).toEqual({
      kind: 'manifest',
      repo: 'a/b',
      reference: 'latest',
    });
    expect(parseRoute('/v2/a/blobs/sha256:ab')).toEqual({
      kind: 'blob',
      repo: 'a',
      reference: 'sha256:ab',
    });
    expect(parseRoute('/v2/a/b/blobs/uploads/')).toEqual({
      kind: 'upload',
      repo: 'a/b',
      reference: '',
    });
    expect(parseRoute('/v2/a/blobs/uploads/1234')).toEqual({
      kind: 'upload',
      repo: 'a',
      reference: '1234',
    });
    expect(parseRoute('/v2/a/tags/list')).toEqual({ kind: 'tags', repo: 'a' });
    expect(parseRoute('/token')).toEqual({ kind: 'other' });
  });
});

describe('registry with htpasswd auth', () => {
  const alice = { username: 'alice', password: 's3cret' };
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd', credentials: alice });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('challenges with Basic and accepts only the configured user', async () => {
    expect(registry.credentials).toEqual(alice);
    const anonymous = await get(`${registry.url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe(`Basic realm="${HTPASSWD_REALM}"`);
    const wrong = await get(`${registry.url}/v2/`, { authorization: basic('alice', 'nope') });
    expect(wrong.status).toBe(401);
    const right = await get(`${registry.url}/v2/`, { authorization: basic('alice', 's3cret') });
    expect(right.status).toBe(200);
  });

  it('takes pushes and serves pulls with Basic credentials, also through the proxy', async () => {
    const small = await seedImageWithPlatforms(registry, 'private/multi', 'latest', undefined, {
      basic: alice,
    });
    const refused = await pushRawBlob(registry.host, 'private/x', Buffer.from('x')).catch(
      (e: unknown) => e,
    );
    expect((refused as RegistryHttpError).status).toBe(401);

    const proxy = await startRegistryProxy(registry);
    try {
      const url = `${proxy.url}/v2/private/multi/manifests/latest`;
      const denied401 = await get(url, { accept: MANIFEST_ACCEPT });
      expect(denied401.status).toBe(401);
      expect(denied401.headers['www-authenticate']).toBe(`Basic realm="${HTPASSWD_REALM}"`);
      const auth = basic(alice.username, alice.password);
      const ok = await get(url, { accept: MANIFEST_ACCEPT, authorization: auth });
      expect(ok.status).toBe(200);
      expect(ok.headers['docker-content-digest']).toBe(small.indexDigest);
      expect(proxy.log.map((e) => e.authorization)).toEqual([undefined, auth]);
    } finally {
      await proxy.close();
    }
  });

  it('defaults to DEFAULT_CREDENTIALS', async () => {
    const other = await startRegistry({ auth: 'htpasswd' });
    try {
      const { username, password } = other.credentials!;
      expect((await get(`${other.url}/v2/`)).status).toBe(401);
      const res = await get(`${other.url}/v2/`, { authorization: basic(username, password) });
      expect(res.status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});

describe('pull-through cache registry', () => {
  let upstream: TestRegistry;
  let spy: RegistryProxy;
  let cache: TestRegistry;
  let image: TestImage;
  let manifestDigest: string;

  beforeAll(async () => {
    upstream = await startRegistry();
    image = await buildBusyboxImage({ salt: 'pull-through' });
    manifestDigest = (await pushImage(upstream.host, 'library/cached', 'latest', image))
      .manifestDigest;
    // The cache reaches its upstream through a proxy so the test can see what it asks.
    spy = await startRegistryProxy(upstream);
    cache = await startRegistry({ proxyOf: spy });
  });
  afterAll(async () => {
    await cache?.stop();
    await spy?.close();
    await upstream?.stop();
  });

  it('serves manifests and blobs it fetches from upstream, then from its own storage', async () => {
    expect(cache.upstream).toBe(spy.url);
    const manifest = await get(`${cache.url}/v2/library/cached/manifests/latest`, {
      accept: MEDIA_TYPES.docker.manifest,
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers['docker-content-digest']).toBe(manifestDigest);

    const layer = image.layers[0]!;
    const path = `/v2/library/cached/blobs/${layer.digest}`;
    const first = await get(`${cache.url}${path}`);
    expect(first.status).toBe(200);
    expect(sha256Digest(first.body)).toBe(layer.digest);

    // distribution 2.8 streams the first miss and stores the blob with a second upstream
    // fetch in the background; once stored, it no longer asks upstream.
    const hex = layer.digest.slice('sha256:'.length);
    const stored = join(cache.dir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    for (let i = 0; i < 200 && !existsSync(stored); i++) await sleep(50);
    expect(existsSync(stored)).toBe(true);
    await sleep(200);
    const upstreamGets = (): number =>
      spy.log.filter((e) => e.method === 'GET' && e.path === path).length;
    const before = upstreamGets();
    expect(before).toBeGreaterThanOrEqual(1);
    const second = await get(`${cache.url}${path}`);
    expect(second.body.equals(layer.blob)).toBe(true);
    expect(upstreamGets()).toBe(before);
  });

  it('refuses pushes', async () => {
    const err = await pushRawBlob(cache.host, 'library/cached', Buffer.from('no')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryHttpError);
    expect((err as RegistryHttpError).body).toContain('UNSUPPORTED');
  });

  it('presents proxyCredentials to a token-auth upstream', async () => {
    const alice = { username: 'alice', password: 's3cret' };
    const locked = await startRegistry({ auth: 'token', credentials: alice });
    let mirror: TestRegistry | undefined;
    try {
      const token = locked.tokenServer!.issueToken(['repository:library/locked:pull,push']);
      const small = await seedImageWithPlatforms(
        locked,
        'library/locked',
        'latest',
        ['linux/amd64'],
        {
          token,
        },
      );
      mirror = await startRegistry({ proxyOf: locked, proxyCredentials: alice });
      const res = await get(`${mirror.url}/v2/library/locked/manifests/latest`, {
        accept: MANIFEST_ACCEPT,
      });
      expect(res.status).toBe(200);
      expect(res.headers['docker-content-digest']).toBe(small.indexDigest);
      expect(locked.tokenServer!.requests.some((r) => r.account === 'alice' && r.granted)).toBe(
        true,
      );
    } finally {
      await mirror?.stop();
      await locked.stop();
    }
  });
});

describe('seedImageWithPlatforms', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('pushes an index of distinct images, each naming its platform in /platform', async () => {
    const seeded = await seedImageWithPlatforms(registry, 'multi/plain', 'latest');
    const index = await get(`${registry.url}/v2/multi/plain/manifests/latest`, {
      accept: MANIFEST_ACCEPT,
    });
    expect(index.headers['content-type']).toBe(MEDIA_TYPES.docker.index);
    expect(index.headers['docker-content-digest']).toBe(seeded.indexDigest);
    const doc = JSON.parse(index.body.toString()) as {
      manifests: { digest: string; platform: object }[];
    };
    expect(doc.manifests.map((m) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]);
    expect(new Set(doc.manifests.map((m) => m.digest)).size).toBe(3);

    for (const [i, platform] of DEFAULT_PLATFORMS.entries()) {
      const entry = doc.manifests[i]!;
      expect(entry.digest).toBe(seeded.images[i]!.manifestDigest);
      const manifest = await get(`${registry.url}/v2/multi/plain/manifests/${entry.digest}`, {
        accept: MANIFEST_ACCEPT,
      });
      const m = JSON.parse(manifest.body.toString()) as {
        config: { digest: string };
        layers: { digest: string; mediaType: string }[];
      };
      const config = await get(`${registry.url}/v2/multi/plain/blobs/${m.config.digest}`);
      const [os, architecture, variant] = platform.split('/');
      const configDoc = JSON.parse(config.body.toString());
      expect(configDoc).toMatchObject({ os, architecture });
      expect(configDoc.variant).toBe(variant);
      expect(m.layers).toHaveLength(1);
      expect(m.layers[0]!.mediaType).toBe(MEDIA_TYPES.docker.layer.gzip);
      const layer = await get(`${registry.url}/v2/multi/plain/blobs/${m.layers[0]!.digest}`);
      expect(firstTarFile(gunzipSync(layer.body))).toEqual(['platform', `${platform}\n`]);
    }
  });

  it('builds OCI zstd images around a shared busybox layer', async () => {
    const seeded = await seedImageWithPlatforms(
      registry,
      'multi/zstd',
      'v1',
      ['linux/amd64', 'linux/arm64/v8'],
      { format: 'oci', compression: 'zstd', busybox: true },
    );
    const [amd, arm] = seeded.images;
    expect(seeded.indexMediaType).toBe(MEDIA_TYPES.oci.index);
    expect(amd!.image.layers[0]!.digest).toBe(arm!.image.layers[0]!.digest);
    expect(amd!.image.configJson.config.Cmd).toEqual(['cat', '/platform']);
    const m = JSON.parse(amd!.manifest.toString()) as {
      layers: { digest: string; mediaType: string }[];
    };
    expect(m.layers.map((l) => l.mediaType)).toEqual([
      MEDIA_TYPES.oci.layer.zstd,
      MEDIA_TYPES.oci.layer.zstd,
    ]);
    const own = await get(`${registry.url}/v2/multi/zstd/blobs/${m.layers[1]!.digest}`);
    expect(firstTarFile(zstdDecompressSync(own.body))).toEqual(['platform', 'linux/amd64\n']);
    expect(arm!.image.configJson).toMatchObject({ architecture: 'arm64', variant: 'v8' });
    const index = await get(`${registry.url}/v2/multi/zstd/manifests/v1`, {
      accept: MANIFEST_ACCEPT,
    });
    expect(index.headers['docker-content-digest']).toBe(seeded.indexDigest);
  });
});
