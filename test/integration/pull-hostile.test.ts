/**
 * Pull from registries that misbehave on the wire, through a proxy in front of a real registry:
 * rate limits (429 with Retry-After, Docker Hub's headers), bodies cut off mid-way (resumed with
 * Range), corrupted blobs (refused with nothing stored; a mirror's bad blob is fetched from the
 * origin instead), a pull killed mid-layer (nothing partial, nothing stale), and two pulls of
 * the same image at once (each layer downloaded once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  corrupt,
  DOCKER_HUB_RATE_LIMIT_MESSAGE,
  firstAttemptOnly,
  rateLimited,
  respond,
  stall,
  startBlackHole,
  startRegistryProxy,
  truncate,
  type ProxyLogEntry,
  type RegistryProxy,
} from '../fixtures/net.ts';
import { buildBusyboxImage, pushImage, type TestImage } from '../fixtures/images.ts';
import { sandbox, tsctr, tsctrAsync, tsctrAwait, type Sandbox } from './harness.ts';
import { writeRegistriesConf, writeUserFile } from './user-files.ts';

let origin: TestRegistry;
let proxy: RegistryProxy;

beforeAll(async () => {
  origin = await startRegistry();
  proxy = await startRegistryProxy(origin);
});

afterAll(async () => {
  await proxy?.close();
  await origin?.stop();
});

/** Pushes a busybox image of its own (salted) to the origin. */
async function seed(repo: string, salt: string): Promise<TestImage> {
  const image = await buildBusyboxImage({ salt });
  await pushImage(origin.host, repo, 'v1', image);
  return image;
}

function entries(sb: Sandbox, dir: string): string[] {
  const d = join(sb.root, dir);
  return existsSync(d) ? readdirSync(d) : [];
}

function blobGets(log: ProxyLogEntry[], digest: string): ProxyLogEntry[] {
  return log.filter(
    (e) => e.method === 'GET' && e.route.kind === 'blob' && e.route.reference === digest,
  );
}

/** The layer writers (tsctr-unpack) that process `pid` started. */
function childWriters(pid: number): number[] {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === pid && f[2]?.endsWith('/tsctr-unpack'))
    .map((f) => Number(f[0]));
}

/** Whether a process exists and has not exited (a zombie nobody reaps has). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('rate limits', () => {
  it('waits for Retry-After and retries a blob answered 429', async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/ratelimit', 'ratelimit');
      proxy.reset();
      proxy.setBehaviour(firstAttemptOnly(rateLimited(1), (req) => req.route.kind === 'blob'));
      const started = Date.now();
      const r = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/ratelimit:v1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      for (const l of image.layers) {
        expect(blobGets(proxy.log, l.digest).map((e) => e.status)).toEqual([429, 200]);
      }
      expect(entries(sb, 'images')).toHaveLength(1);
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });

  it("gives up on a registry that keeps answering 429, showing Docker Hub's rate-limit headers", async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/ratelimited', 'ratelimited');
      const limited = image.layers[2]!.digest;
      proxy.reset();
      proxy.setBehaviour((req) => (req.route.reference === limited ? rateLimited(1) : undefined));
      const r = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/ratelimited:v1`]);
      expect(r.code).toBe(125);
      // Three retries after the first attempt, then the registry's own words.
      expect(blobGets(proxy.log, limited)).toHaveLength(4);
      expect(r.stderr).toBe(
        `Error: blob ${limited} of ${proxy.host}/hostile/ratelimited: too many requests: ` +
          `toomanyrequests: ${DOCKER_HUB_RATE_LIMIT_MESSAGE} ` +
          '(limit 100;w=21600, remaining 0;w=21600, retry after 1)\n' +
          'Hint: the registry limits how often you may pull; wait, log in, or configure a mirror\n',
      );
      expect(entries(sb, 'images')).toEqual([]);
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });
});

describe('broken downloads', () => {
  it('reports a blob the registry does not have, even before the layer writer is up', async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/noblob', 'noblob');
      const missing = image.layers[0]!.digest;
      proxy.reset();
      // Answered at once: the error reaches the download's stream while its writer starts.
      proxy.setBehaviour((req) =>
        req.route.reference === missing
          ? respond(404, {
              errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }],
            })
          : undefined,
      );
      const r = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/noblob:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(new RegExp(`^Error: blob ${missing} of .*blob unknown to registry`));
      expect(r.stderr).not.toMatch(/stopped before|at .*\.js/);
      expect(entries(sb, 'images')).toEqual([]);
      expect(entries(sb, 'tmp')).toEqual([]);
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });

  it('fails a layer whose blob ends in the middle of a file, then pulls it once it is whole', async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/short', 'short');
      const cut = image.layers[0]!; // busybox itself: half its blob ends inside the binary
      proxy.reset();
      proxy.setBehaviour((req) =>
        req.route.reference === cut.digest ? truncate(cut.size >> 1, 'short') : undefined,
      );
      const t0 = Date.now();
      const r = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/short:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(new RegExp(`^Error: layer ${cut.digest} failed verification`));
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(entries(sb, 'images')).toEqual([]);
      expect(entries(sb, 'tmp')).toEqual([]);
      proxy.setBehaviour(() => undefined);
      const again = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/short:v1`]);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });

  it('resumes a blob whose connection dropped mid-body with a Range request', async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/resume', 'resume');
      const big = image.layers[0]!;
      const cut = 100_000;
      expect(big.size).toBeGreaterThan(cut * 2);
      proxy.reset();
      proxy.setBehaviour(
        firstAttemptOnly(truncate(cut, 'close'), (req) => req.route.reference === big.digest),
      );
      const r = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/resume:v1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const gets = blobGets(proxy.log, big.digest);
      expect(gets.map((e) => [e.range, e.status, e.bytes])).toEqual([
        [undefined, 200, cut],
        [`bytes=${cut}-`, 206, big.size - cut],
      ]);
      expect(
        tsctr(sb, ['run', '--rm', `${proxy.host}/hostile/resume:v1`, 'cat', '/etc/salt']).stdout,
      ).toBe('resume\n');
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });

  it('refuses a corrupted blob, stores nothing of it, and pulls once the registry behaves', async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/corrupt', 'corrupt');
      const bad = image.layers[2]!;
      proxy.setBehaviour((req) => (req.route.reference === bad.digest ? corrupt(100) : undefined));
      const r = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/corrupt:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(new RegExp(`^Error: layer ${bad.digest} failed verification: `));
      expect(r.stderr).toMatch(/^Hint: nothing was stored; /m);
      expect(entries(sb, 'layers')).not.toContain(bad.diffId.slice(7));
      expect(entries(sb, 'blobs/sha256')).not.toContain(bad.digest.slice(7));
      expect(entries(sb, 'images')).toEqual([]);
      expect(entries(sb, 'tmp')).toEqual([]);

      proxy.setBehaviour(() => undefined);
      const again = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/corrupt:v1`]);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(entries(sb, 'blobs/sha256')).toContain(bad.digest.slice(7));
      expect(entries(sb, 'tmp')).toEqual([]);
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });

  it('fetches a blob that a mirror corrupts from the origin, not from a mirror known to be down', async () => {
    const sb = sandbox();
    const image = await seed('hostile/badmirror', 'badmirror');
    const bad = image.layers[2]!;
    const mirror = await startRegistryProxy(origin, (req) =>
      req.route.reference === bad.digest ? corrupt(100) : undefined,
    );
    // A second mirror that an earlier pull found dead: asking it for the blob would cost a
    // timeout per attempt.
    const hole = await startBlackHole();
    try {
      writeRegistriesConf(
        sb,
        [
          '[[registry]]',
          `prefix = "${proxy.host}"`,
          `location = "${proxy.host}"`,
          ...[mirror.host, hole.host].flatMap((m) => ['[[registry.mirror]]', `location = "${m}"`]),
          '',
        ].join('\n'),
      );
      writeUserFile(
        sb,
        join(sb.root, 'mirror-health.json'),
        JSON.stringify({
          [hole.host]: { failedAt: Date.now(), failures: 1, reason: 'timed out' },
        }),
      );
      proxy.reset();
      const started = Date.now();
      const r = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/badmirror:v1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      const lines = r.stdout.split('\n');
      expect(lines).toContain(`Using mirror ${mirror.host}/hostile/badmirror`);
      expect(lines).toContainEqual(
        expect.stringMatching(
          `^Mirror ${mirror.host}/hostile/badmirror failed: layer ${bad.digest} failed verification: `,
        ),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(`^Skipping mirror ${hole.host}/hostile/badmirror: it failed `),
      );
      expect(hole.accepted).toBe(0);
      // Only the bad blob came from the origin.
      expect(blobGets(proxy.log, bad.digest)).toHaveLength(1);
      for (const l of image.layers.slice(0, 2)) expect(blobGets(proxy.log, l.digest)).toEqual([]);
      expect(
        tsctr(sb, ['run', '--rm', `${proxy.host}/hostile/badmirror:v1`, 'cat', '/etc/salt']).stdout,
      ).toBe('badmirror\n');
    } finally {
      await Promise.all([mirror.close(), hole.close()]);
      sb.cleanup();
    }
  });
});

describe('pulls that overlap or die', () => {
  it('leaves nothing partial when killed mid-layer, and the next pull cleans up', async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/killed', 'killed');
      const big = image.layers[0]!;
      const cut = 300_000;
      proxy.reset();
      proxy.setBehaviour((req) =>
        req.route.reference === big.digest ? truncate(cut, 'hang') : undefined,
      );
      const child = tsctrAsync(sb, ['pull', `${proxy.host}/hostile/killed:v1`]);
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
      let done = false;
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => {
          done = true;
          resolve(signal);
        }),
      );
      // Wait until the layer is being written: its bytes sent and its work directory in tmp/.
      const deadline = Date.now() + 20_000;
      while (!(
        blobGets(proxy.log, big.digest)[0]?.bytes === cut && entries(sb, 'tmp').length > 0
      )) {
        if (done || Date.now() > deadline) {
          throw new Error(`the pull never got to the layer:\n${output}`);
        }
        await sleep(50);
      }
      await sleep(300);
      const writers = childWriters(child.pid!);
      expect(writers.length).toBeGreaterThan(0);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(entries(sb, 'tmp').length).toBeGreaterThan(0);
      // The layer writer sees its input end and exits too.
      for (let i = 0; writers.some(running); i++) {
        if (i > 100) throw new Error('the layer writer outlived the killed pull');
        await sleep(50);
      }

      const images = tsctr(sb, ['images']);
      expect(images.code).toBe(0);
      expect(images.stdout.trim().split('\n')).toHaveLength(1);
      expect(entries(sb, 'images')).toEqual([]);
      expect(entries(sb, 'layers')).not.toContain(big.diffId.slice(7));
      for (const d of entries(sb, 'layers')) {
        expect(existsSync(join(sb.root, 'layers', d, 'layer.json'))).toBe(true);
      }
      expect(entries(sb, 'blobs/sha256')).not.toContain(big.digest.slice(7));

      proxy.setBehaviour(() => undefined);
      const started = Date.now();
      const again = await tsctrAwait(sb, ['pull', `${proxy.host}/hostile/killed:v1`]);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(entries(sb, 'tmp')).toEqual([]);
      expect(
        tsctr(sb, ['run', '--rm', `${proxy.host}/hostile/killed:v1`, 'cat', '/etc/salt']).stdout,
      ).toBe('killed\n');
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });

  it('downloads each layer once when two pulls of the same image run at once', async () => {
    const sb = sandbox();
    try {
      const image = await seed('hostile/twice', 'twice');
      proxy.reset();
      // Slow blobs, so that the two pulls surely overlap.
      proxy.setBehaviour((req) => (req.route.kind === 'blob' ? stall(500) : undefined));
      const ref = `${proxy.host}/hostile/twice:v1`;
      const [a, b] = await Promise.all([
        tsctrAwait(sb, ['pull', ref]),
        tsctrAwait(sb, ['pull', ref]),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect([a.stderr, b.stderr]).toEqual(['', '']);
      // Both set out to fetch every layer, so they did overlap.
      for (const out of [a.stdout, b.stdout]) {
        expect(out.match(/^[0-9a-f]{12}: Pulling fs layer$/gm)).toHaveLength(3);
      }
      for (const l of image.layers) expect(blobGets(proxy.log, l.digest)).toHaveLength(1);
      expect(tsctr(sb, ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).toBe(`${ref}\n`);
      expect(entries(sb, 'tmp')).toEqual([]);
    } finally {
      proxy.setBehaviour(() => undefined);
      sb.cleanup();
    }
  });
});
