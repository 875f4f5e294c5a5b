/**
 * pull's options and output against a real registry: platform choice from an index
 * (--platform, and docker's refusals), zstd layers, -a (every tag), and docker's plain-line
 * progress output and -q.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  buildBusyboxImage,
  pushImage,
  seedImageWithPlatforms,
  type SeededIndex,
} from '../fixtures/images.ts';
import { sandbox, tsctr, type Sandbox } from './harness.ts';

let reg: TestRegistry;

beforeAll(async () => {
  reg = await startRegistry();
});

afterAll(async () => {
  await reg?.stop();
});

function withSandbox(fn: (sb: Sandbox) => void): void {
  const sb = sandbox();
  try {
    fn(sb);
  } finally {
    sb.cleanup();
  }
}

const short = (digest: string) => digest.slice(7, 19);

describe('platforms', () => {
  let seeded: SeededIndex;
  let ref: string;

  beforeAll(async () => {
    seeded = await seedImageWithPlatforms(reg, 'multi/app', 'v1', undefined, { busybox: true });
    ref = `${reg.host}/multi/app:v1`;
  });

  it("pulls the host's platform from an index by default", () => {
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', ref]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Digest: ${seeded.indexDigest}\n`);
      const run = tsctr(sb, ['run', '--rm', ref]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('linux/amd64\n');
    });
  });

  it('pulls the entry --platform names', () => {
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', '--platform', 'linux/arm64', ref]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const arm64 = seeded.images.find((i) => i.platform === 'linux/arm64')!.image;
      const own = arm64.layers.at(-1)!.diffId.slice(7);
      expect(readFileSync(join(sb.root, 'layers', own, 'diff/platform'), 'utf8')).toBe(
        'linux/arm64\n',
      );
      const inspect = tsctr(sb, ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ref]);
      expect(inspect.stdout).toBe('linux/arm64\n');
    });
  });

  it('refuses a platform the index does not have', () => {
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', '--platform', 'linux/s390x', ref]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(
        /^Error: no image found in image index for architecture s390x, variant "", OS linux \(.* has: linux\/amd64, linux\/arm64, linux\/arm\/v7\)\n/,
      );
      expect(tsctr(sb, ['images', '-q']).stdout).toBe('');
    });
  });

  it('refuses a single-platform image of another platform than --platform asks for', async () => {
    await pushImage(reg.host, 'single/app', 'v1', await buildBusyboxImage({ salt: 'single' }));
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', '--platform', 'linux/arm64', `${reg.host}/single/app:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(
        `Error: image with reference ${reg.host}/single/app:v1 was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64\n`,
      );
      expect(tsctr(sb, ['images', '-q']).stdout).toBe('');
    });
  });
});

describe('zstd', () => {
  it('pulls and runs an OCI image whose layers are zstd-compressed', async () => {
    const image = await buildBusyboxImage({ salt: 'zstd', compression: ['zstd', 'zstd', 'zstd'] });
    await pushImage(reg.host, 'zstd/app', 'v1', image, { format: 'oci' });
    withSandbox((sb) => {
      const ref = `${reg.host}/zstd/app:v1`;
      const r = tsctr(sb, ['pull', ref]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const run = tsctr(sb, [
        'run',
        '--rm',
        ref,
        'cat',
        '/etc/salt',
        '/layer2.txt',
        '/old/new.txt',
      ]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('zstd\nlayer 2\nnew in layer 2\n');
      // The whiteouts of the middle layer hide what the first one had.
      expect(tsctr(sb, ['run', '--rm', ref, 'ls', '/old']).stdout).toBe('new.txt\n');
    });
  });
});

describe('pull -a', () => {
  beforeAll(async () => {
    for (const tag of ['a', 'b', 'c']) {
      await pushImage(reg.host, 'every/app', tag, await buildBusyboxImage({ salt: `tag-${tag}` }));
    }
  });

  it('pulls every tag of the repository', () => {
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', '-a', `${reg.host}/every/app`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const tags = tsctr(sb, ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout;
      expect(tags.trim().split('\n').sort()).toEqual(
        ['a', 'b', 'c'].map((t) => `${reg.host}/every/app:${t}`),
      );
      for (const t of ['a', 'b', 'c']) {
        expect(
          tsctr(sb, ['run', '--rm', `${reg.host}/every/app:${t}`, 'cat', '/etc/salt']).stdout,
        ).toBe(`tag-${t}\n`);
      }
    });
  });

  it('refuses a tag with -a', () => {
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', '-a', `${reg.host}/every/app:a`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe("Error: tag can't be used with --all-tags/-a\n");
    });
  });
});

describe('output', () => {
  let v1: Awaited<ReturnType<typeof buildBusyboxImage>>;
  let v2: Awaited<ReturnType<typeof buildBusyboxImage>>;
  let digests: Record<string, string>;

  beforeAll(async () => {
    v1 = await buildBusyboxImage({ salt: 'out-1' });
    v2 = await buildBusyboxImage({ salt: 'out-2' });
    digests = {
      latest: (await pushImage(reg.host, 'out/app', 'latest', v1)).manifestDigest,
      v2: (await pushImage(reg.host, 'out/app', 'v2', v2)).manifestDigest,
    };
  });

  it("prints docker's plain lines when stdout is not a terminal", () => {
    withSandbox((sb) => {
      const name = `${reg.host}/out/app`;
      const r = tsctr(sb, ['pull', name]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 2)).toEqual([
        'Using default tag: latest',
        'latest: Pulling from out/app',
      ]);
      expect(lines.slice(2, -4).sort()).toEqual(
        v1.layers
          .flatMap((l) => [
            `${short(l.digest)}: Pull complete`,
            `${short(l.digest)}: Pulling fs layer`,
          ])
          .sort(),
      );
      // Each layer is announced before any completes its download.
      const firstComplete = lines.findIndex((l) => l.endsWith(': Pull complete'));
      expect(lines.slice(2, firstComplete)).toHaveLength(3);
      expect(lines.slice(-4)).toEqual([
        `Digest: ${digests.latest}`,
        `Status: Downloaded newer image for ${name}:latest`,
        `${name}:latest`,
        '',
      ]);

      // Layers shared with an image already pulled are not downloaded again.
      const next = tsctr(sb, ['pull', `${name}:v2`]).stdout.split('\n');
      expect(next.slice(0, 4)).toEqual([
        'v2: Pulling from out/app',
        `${short(v2.layers[0]!.digest)}: Already exists`,
        `${short(v2.layers[1]!.digest)}: Already exists`,
        `${short(v2.layers[2]!.digest)}: Pulling fs layer`,
      ]);
      expect(next.slice(-3)).toEqual([
        `Status: Downloaded newer image for ${name}:v2`,
        `${name}:v2`,
        '',
      ]);

      // An image already there: docker shows no layers at all.
      const again = tsctr(sb, ['pull', name]);
      expect(again.stdout).toBe(
        [
          'Using default tag: latest',
          'latest: Pulling from out/app',
          `Digest: ${digests.latest}`,
          `Status: Image is up to date for ${name}:latest`,
          `${name}:latest`,
          '',
        ].join('\n'),
      );
    });
  });

  it('prints only the name with -q', () => {
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', '-q', `${reg.host}/out/app:v2`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${reg.host}/out/app:v2\n`);
    });
  });
});
