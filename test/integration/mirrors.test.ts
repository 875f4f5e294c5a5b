/**
 * Pull through mirrors (registries.conf [[registry.mirror]] and config.json registry-mirrors):
 * mirrors that refuse, black-hole, fail or deny are reported and passed over, the ones that
 * failed outright are skipped by the next pull, and a pull with no source left lists them all.
 * Docker Hub is unreachable here, so the docker.io cases prove that the mirror alone served it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  deadPort,
  denied,
  registryError,
  startBlackHole,
  startRegistryProxy,
  type BlackHole,
  type RegistryProxy,
} from '../fixtures/net.ts';
import { buildBusyboxImage, pushImage, seedBusybox } from '../fixtures/images.ts';
import { sandbox, tsctr, tsctrAwait, type Sandbox } from './harness.ts';
import { writeRegistriesConf, writeUserFile } from './user-files.ts';

describe('a chain of mirrors in front of a loopback registry', () => {
  let origin: TestRegistry;
  let cache: TestRegistry;
  let blackHole: BlackHole;
  let dead: string;
  let unavailable: RegistryProxy;
  let allowlist: RegistryProxy;
  let missing: RegistryProxy;
  let sb: Sandbox;
  const repo = 'chain/app';

  beforeAll(async () => {
    origin = await startRegistry();
    for (const tag of ['v1', 'v2', 'v3']) {
      await pushImage(origin.host, repo, tag, await buildBusyboxImage({ salt: `chain-${tag}` }));
    }
    cache = await startRegistry({ proxyOf: origin });
    blackHole = await startBlackHole();
    dead = `127.0.0.1:${await deadPort()}`;
    unavailable = await startRegistryProxy(origin, () =>
      registryError(503, 'UNAVAILABLE', 'down for maintenance'),
    );
    allowlist = await startRegistryProxy(origin, () => denied());
    missing = await startRegistryProxy(origin, () =>
      registryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown'),
    );
    sb = sandbox();
    const mirrors = [dead, blackHole.host, unavailable.host, allowlist.host, missing.host];
    writeRegistriesConf(
      sb,
      [
        '[[registry]]',
        `prefix = "${origin.host}"`,
        `location = "${origin.host}"`,
        ...[...mirrors, cache.host].flatMap((m) => ['[[registry.mirror]]', `location = "${m}"`]),
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    sb?.cleanup();
    await Promise.all([
      blackHole?.close(),
      unavailable?.close(),
      allowlist?.close(),
      missing?.close(),
    ]);
    await cache?.stop();
    await origin?.stop();
  });

  it('reports each failing mirror and pulls from the pull-through cache', async () => {
    const started = Date.now();
    const r = await tsctrAwait(sb, ['pull', `${origin.host}/${repo}:v1`]);
    const elapsed = Date.now() - started;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Mirror ${dead}/${repo} failed: cannot reach registry ${dead}: connect ECONNREFUSED ${dead}$`,
        ),
      ),
    );
    expect(lines).toContain(
      `Mirror ${blackHole.host}/${repo} failed: cannot reach registry ${blackHole.host}: timed out`,
    );
    expect(lines).toContain(
      `Mirror ${unavailable.host}/${repo} failed: manifest for ${unavailable.host}/${repo}:v1: HTTP 503: unavailable: down for maintenance`,
    );
    expect(lines).toContain(
      `Mirror ${allowlist.host}/${repo} failed: manifest for ${allowlist.host}/${repo}:v1: access denied: denied: not in the allowlist`,
    );
    expect(lines).toContain(
      `Mirror ${missing.host}/${repo} failed: manifest for ${missing.host}/${repo}:v1 not found: manifest unknown: manifest unknown`,
    );
    expect(lines).toContain(`Using mirror ${cache.host}/${repo}`);
    expect(lines.at(-2)).toBe(`${origin.host}/${repo}:v1`);
    // The black hole costs its connect timeout once, not a request timeout per retry.
    expect(blackHole.accepted).toBe(1);
    expect(elapsed).toBeLessThan(30_000);
    expect(tsctr(sb, ['run', '--rm', `${origin.host}/${repo}:v1`, 'cat', '/etc/salt']).stdout).toBe(
      'chain-v1\n',
    );
  });

  it('skips the mirrors that failed outright on the next pull, and asks the others again', async () => {
    const accepted = blackHole.accepted;
    const asked = { allowlist: allowlist.log.length, missing: missing.log.length };
    const unavailableAsked = unavailable.log.length;
    const r = await tsctrAwait(sb, ['pull', `${origin.host}/${repo}:v2`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const m of [dead, blackHole.host, unavailable.host]) {
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^Skipping mirror ${m}/${repo}: it failed (Less than a second|\\d+ seconds?) ago \\(.+\\)$`,
          ),
        ),
      );
      expect(lines.some((l) => l.startsWith(`Mirror ${m}/`))).toBe(false);
    }
    expect(blackHole.accepted).toBe(accepted);
    expect(unavailable.log.length).toBe(unavailableAsked);
    // 403 and 404 say nothing about the mirror's health: they are asked again.
    expect(lines).toContainEqual(
      expect.stringMatching(`^Mirror ${allowlist.host}/${repo} failed: `),
    );
    expect(lines).toContainEqual(expect.stringMatching(`^Mirror ${missing.host}/${repo} failed: `));
    expect(allowlist.log.length).toBeGreaterThan(asked.allowlist);
    expect(missing.log.length).toBeGreaterThan(asked.missing);
    expect(lines).toContain(`Using mirror ${cache.host}/${repo}`);
  });

  it('lists every source when none of them can serve the image', async () => {
    await origin.stop();
    const r = await tsctrAwait(sb, ['pull', `${origin.host}/${repo}:v3`]);
    expect(r.code).toBe(125);
    const err = r.stderr.split('\n');
    expect(err[0]).toBe(`Error: pulling ${origin.host}/${repo} failed from every source:`);
    for (const m of [dead, blackHole.host, unavailable.host, allowlist.host, missing.host]) {
      expect(err).toContainEqual(expect.stringMatching(`^  mirror ${m}/${repo}: `));
    }
    expect(err).toContainEqual(expect.stringMatching(`^  mirror ${cache.host}/${repo}: `));
    expect(err).toContainEqual(
      expect.stringMatching(`^  ${origin.host}/${repo}: cannot reach registry ${origin.host}: `),
    );
    expect(tsctr(sb, ['images', '--format', '{{.Tag}}']).stdout.split('\n').sort()).toEqual([
      '',
      'v1',
      'v2',
    ]);
  });
});

describe('Docker Hub mirrors', () => {
  let mirror: TestRegistry;

  beforeAll(async () => {
    mirror = await startRegistry();
    await seedBusybox(mirror.host, 'library/busybox');
  });

  afterAll(async () => {
    await mirror?.stop();
  });

  function pullsBusyboxFromTheMirror(sb: Sandbox): void {
    const r = tsctr(sb, ['pull', 'busybox']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Using default tag: latest');
    expect(lines[1]).toBe('latest: Pulling from library/busybox');
    expect(lines).toContain(`Using mirror ${mirror.host}/library/busybox`);
    expect(lines.at(-2)).toBe('Status: Downloaded newer image for busybox:latest');
    expect(lines.at(-1)).toBe('docker.io/library/busybox:latest');
    expect(tsctr(sb, ['images']).stdout).toMatch(/^busybox\s+latest\s+[0-9a-f]{12}\s/m);
    const run = tsctr(sb, ['run', '--rm', 'busybox', 'echo', 'ok']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok\n');
    expect(run.code).toBe(0);
  }

  it('pulls busybox through registry-mirrors in config.json', () => {
    const sb = sandbox();
    try {
      writeUserFile(
        sb,
        join(sb.configHome, 'tsctr/config.json'),
        JSON.stringify({ 'registry-mirrors': [`http://${mirror.host}`] }),
      );
      pullsBusyboxFromTheMirror(sb);
    } finally {
      sb.cleanup();
    }
  });

  it('pulls busybox through a [[registry.mirror]] of docker.io in registries.conf', () => {
    const sb = sandbox();
    try {
      writeRegistriesConf(
        sb,
        [
          '[[registry]]',
          'prefix = "docker.io"',
          'location = "docker.io"',
          '[[registry.mirror]]',
          `location = "${mirror.host}"`,
          '',
        ].join('\n'),
      );
      pullsBusyboxFromTheMirror(sb);
    } finally {
      sb.cleanup();
    }
  });

  it('finds library/NAME when the mirror host is typed in the reference', () => {
    const sb = sandbox();
    try {
      const r = tsctr(sb, ['pull', `${mirror.host}/busybox`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n').at(-1)).toBe(`${mirror.host}/busybox:latest`);
      const images = tsctr(sb, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
      expect(images.stdout).toBe(`${mirror.host}/busybox:latest\n`);
      expect(tsctr(sb, ['run', '--rm', `${mirror.host}/busybox`, 'echo', 'ok']).stdout).toBe(
        'ok\n',
      );
    } finally {
      sb.cleanup();
    }
  });
});
