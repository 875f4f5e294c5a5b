import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TsctrError } from '../../src/errors.ts';
import { parseReference, type ImageReference } from '../../src/registry/reference.ts';
import {
  emptyRegistriesConfig,
  loadRegistriesConfig,
  type RegistriesConfig,
} from '../../src/registry/registries-conf.ts';
import {
  describeSource,
  findRegistry,
  isInsecureRegistry,
  pullSources,
  shortNameCandidates,
  type PullSource,
} from '../../src/registry/sources.ts';

// Configurations are loaded from real files in a temporary directory, through
// CONTAINERS_REGISTRIES_CONF and an XDG_CONFIG_HOME holding tsctr/config.json; the system
// directories are pointed into it too, so the host's /etc/containers is never read.
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsctr-sources-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function conf(toml: string, tsctrJson?: object): RegistriesConfig {
  const file = join(root, 'registries.conf');
  writeFileSync(file, toml);
  if (tsctrJson !== undefined) {
    mkdirSync(join(root, 'config/tsctr'), { recursive: true });
    writeFileSync(join(root, 'config/tsctr/config.json'), JSON.stringify(tsctrJson));
  }
  return loadRegistriesConfig(
    {
      HOME: join(root, 'home'),
      XDG_CONFIG_HOME: join(root, 'config'),
      XDG_CACHE_HOME: join(root, 'cache'),
      CONTAINERS_REGISTRIES_CONF: file,
    },
    { systemConfigDir: join(root, 'etc'), systemCacheDir: join(root, 'var-cache') },
  );
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** The sources as 'registry/repository' strings, with (m) for mirrors and (i) for insecure. */
function tried(input: string, c: RegistriesConfig): string[] {
  return pullSources(parseReference(input), c).map(
    (s) => `${describeSource(s)}${s.mirror ? ' (m)' : ''}${s.insecure ? ' (i)' : ''}`,
  );
}

function thrown(fn: () => unknown): TsctrError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TsctrError);
    return err as TsctrError;
  }
  throw new Error('did not throw');
}

describe('pullSources', () => {
  it('without configuration is the registry the name belongs to', () => {
    const sources = pullSources(parseReference('busybox'), emptyRegistriesConfig());
    expect(sources).toEqual<PullSource[]>([
      {
        registry: 'docker.io',
        repository: 'library/busybox',
        insecure: false,
        mirror: false,
        origin: 'docker.io/library/busybox',
      },
    ]);
  });

  it("follows the man page's example: mirrors in order, then the location", () => {
    const c = conf(`
[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
location = "internal-registry-for-example.com/bar"

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
location = "registry.com"

[[registry.mirror]]
location = "mirror.registry.com"
`);
    expect(tried('example.com/foo/image:latest', c)).toEqual([
      'example-mirror-0.local/mirror-for-foo/image (m)',
      'example-mirror-1.local/mirrors/foo/image (m) (i)',
      'internal-registry-for-example.com/bar/image',
    ]);
    // A mirror belongs to its own [[registry]] only.
    expect(tried('registry.com/image:latest', c)).toEqual([
      'mirror.registry.com/image (m)',
      'registry.com/image',
    ]);
    const [first] = pullSources(parseReference('example.com/foo/image:latest'), c);
    expect(first!.origin).toBe('example.com/foo/image');
  });

  it('matches a prefix at component boundaries only, longest first', () => {
    const c = conf(`
[[registry]]
prefix = "example.com/foo"
location = "foo.internal/foo"
[[registry]]
prefix = "example.com/foo/bar"
location = "bar.internal/x"
[[registry]]
prefix = "example.com"
location = "all.internal"
`);
    expect(tried('example.com/foo/bar', c)).toEqual(['bar.internal/x']);
    expect(tried('example.com/foo/baz:1', c)).toEqual(['foo.internal/foo/baz']);
    expect(tried('example.com/foo:tag', c)).toEqual(['foo.internal/foo']);
    expect(tried('example.com/foobar', c)).toEqual(['all.internal/foobar']);
    // 'example.com' is not 'example.com:5000', whatever containers/image does.
    expect(tried('example.com:5000/foo', c)).toEqual(['example.com:5000/foo']);
    expect(tried('other.com/foo', c)).toEqual(['other.com/foo']);
  });

  it('matches a wildcard prefix against any subdomain and port; the name itself is kept', () => {
    const c = conf(`
[[registry]]
prefix = "*.example.com"
insecure = true
[[registry.mirror]]
location = "cache.local/wild"
`);
    expect(tried('a.b.example.com/app', c)).toEqual([
      'cache.local/wild/app (m)',
      'a.b.example.com/app (i)',
    ]);
    expect(tried('a.example.com:5000/app', c)).toEqual([
      'cache.local/wild/app (m)',
      'a.example.com:5000/app (i)',
    ]);
    expect(tried('example.com/app', c)).toEqual(['example.com/app']);
    expect(tried('evil.com/a.example.com/app', c)).toEqual(['evil.com/a.example.com/app']);
  });

  it('uses mirrors by tag or by digest as pull-from-mirror says', () => {
    const c = conf(`
[[registry]]
location = "quay.io"
[[registry.mirror]]
location = "all.mirror"
[[registry.mirror]]
location = "digest.mirror"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "tag.mirror"
pull-from-mirror = "tag-only"
`);
    expect(tried('quay.io/a/b:1', c)).toEqual([
      'all.mirror/a/b (m)',
      'tag.mirror/a/b (m)',
      'quay.io/a/b',
    ]);
    expect(tried(`quay.io/a/b@${DIGEST}`, c)).toEqual([
      'all.mirror/a/b (m)',
      'digest.mirror/a/b (m)',
      'quay.io/a/b',
    ]);
    // A tag and a digest together is a pull by digest.
    expect(tried(`quay.io/a/b:1@${DIGEST}`, c)).toEqual([
      'all.mirror/a/b (m)',
      'digest.mirror/a/b (m)',
      'quay.io/a/b',
    ]);
  });

  it('uses mirrors only for digests under mirror-by-digest-only', () => {
    const c = conf(`
[[registry]]
location = "quay.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "m.mirror"
`);
    expect(tried('quay.io/a:1', c)).toEqual(['quay.io/a']);
    expect(tried(`quay.io/a@${DIGEST}`, c)).toEqual(['m.mirror/a (m)', 'quay.io/a']);
  });

  it('refuses a blocked name, naming the file', () => {
    const c = conf(`
[[registry]]
prefix = "example.com/bad"
location = "example.com/bad"
blocked = true
`);
    const err = thrown(() => pullSources(parseReference('example.com/bad/app'), c));
    expect(err.message).toBe(
      `registry example.com/bad is blocked in ${join(root, 'registries.conf')}`,
    );
    expect(err.hint).toContain('blocked = true');
    expect(tried('example.com/good/app', c)).toEqual(['example.com/good/app']);
  });

  it('skips a mirror whose host is blocked', () => {
    const c = conf(`
[[registry]]
location = "quay.io"
[[registry.mirror]]
location = "blocked.mirror"
[[registry.mirror]]
location = "ok.mirror"
[[registry]]
location = "blocked.mirror"
blocked = true
`);
    expect(tried('quay.io/a', c)).toEqual(['ok.mirror/a (m)', 'quay.io/a']);
  });

  it('marks insecure: registries.conf, insecure-registries, CIDRs, http mirrors and loopback', () => {
    const c = conf(
      `
[[registry]]
location = "insecure.example"
insecure = true
`,
      {
        'registry-mirrors': ['http://10.1.2.3:5000'],
        'insecure-registries': ['listed.example:5000', '192.168.0.0/16', 'fd00::/8'],
      },
    );
    expect(tried('insecure.example/a', c)).toEqual(['insecure.example/a (i)']);
    expect(tried('listed.example:5000/a', c)).toEqual(['listed.example:5000/a (i)']);
    expect(tried('listed.example/a', c)).toEqual(['listed.example/a']);
    expect(tried('192.168.7.7:5000/a', c)).toEqual(['192.168.7.7:5000/a (i)']);
    expect(tried('[fd00::1]:5000/a', c)).toEqual(['[fd00::1]:5000/a (i)']);
    expect(tried('10.9.9.9:5000/a', c)).toEqual(['10.9.9.9:5000/a']);
    expect(tried('localhost:5000/a', c)).toEqual(['localhost:5000/a (i)']);
    expect(tried('127.0.0.2/a', c)).toEqual(['127.0.0.2/a (i)']);
    expect(tried('[::1]:5000/a', c)).toEqual(['[::1]:5000/a (i)']);
    expect(tried('busybox', c)).toEqual([
      '10.1.2.3:5000/library/busybox (m) (i)',
      'docker.io/library/busybox',
    ]);
    expect(isInsecureRegistry(c, 'LISTED.example:5000')).toBe(true);
  });

  describe('docker.io', () => {
    const HUB = `
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "m.daocloud.io/docker.io"
`;

    it("tries registries.conf's mirrors, then config.json's registry-mirrors, then Docker Hub", () => {
      const c = conf(HUB, {
        'registry-mirrors': ['https://docker.m.daocloud.io', 'mirror.gcr.io'],
      });
      expect(pullSources(parseReference('busybox:1.36'), c)).toEqual<PullSource[]>([
        {
          registry: 'm.daocloud.io',
          repository: 'docker.io/library/busybox',
          insecure: false,
          mirror: true,
          origin: 'docker.io/library/busybox',
        },
        {
          registry: 'docker.m.daocloud.io',
          repository: 'library/busybox',
          insecure: false,
          mirror: true,
          origin: 'docker.io/library/busybox',
        },
        {
          registry: 'mirror.gcr.io',
          repository: 'library/busybox',
          insecure: false,
          mirror: true,
          origin: 'docker.io/library/busybox',
        },
        {
          registry: 'docker.io',
          repository: 'library/busybox',
          insecure: false,
          mirror: false,
          origin: 'docker.io/library/busybox',
        },
      ]);
      expect(tried('user/app', c)).toEqual([
        'm.daocloud.io/docker.io/user/app (m)',
        'docker.m.daocloud.io/user/app (m)',
        'mirror.gcr.io/user/app (m)',
        'docker.io/user/app',
      ]);
    });

    it('uses registry-mirrors alone, and for Docker Hub only', () => {
      const c = conf('', { 'registry-mirrors': ['https://docker.m.daocloud.io/'] });
      expect(tried('docker.io/library/alpine', c)).toEqual([
        'docker.m.daocloud.io/library/alpine (m)',
        'docker.io/library/alpine',
      ]);
      expect(tried('index.docker.io/library/alpine', c)).toEqual([
        'docker.m.daocloud.io/library/alpine (m)',
        'docker.io/library/alpine',
      ]);
      expect(tried('quay.io/library/alpine', c)).toEqual(['quay.io/library/alpine']);
    });

    it('drops a mirror given twice, or equal to the registry', () => {
      const c = conf(
        `
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "mirror.gcr.io"
[[registry.mirror]]
location = "docker.io"
`,
        { 'registry-mirrors': ['https://mirror.gcr.io'] },
      );
      expect(tried('busybox', c)).toEqual([
        'mirror.gcr.io/library/busybox (m)',
        'docker.io/library/busybox',
      ]);
    });

    it('needs library/ in a prefix that is about official images', () => {
      const c = conf(`
[[registry]]
prefix = "docker.io/library"
location = "hub-proxy.local/official"
`);
      expect(tried('busybox', c)).toEqual(['hub-proxy.local/official/busybox']);
      expect(tried('library/busybox', c)).toEqual(['hub-proxy.local/official/busybox']);
      expect(tried('user/busybox', c)).toEqual(['docker.io/user/busybox']);
    });
  });

  it('reports a rewrite that gives no valid name', () => {
    const c = conf(`
[[registry]]
prefix = "example.com/app"
location = "other.example"
`);
    const err = thrown(() => pullSources(parseReference('example.com/app:1'), c));
    expect(err.message).toBe(
      'cannot pull example.com/app from location "other.example": other.example is not a valid image name',
    );
    expect(err.hint).toContain('prefix "example.com/app"');
  });
});

describe('findRegistry', () => {
  it('breaks a tie between equally long prefixes by prefix order, as containers/image', () => {
    const c = conf(`
[[registry]]
prefix = "a.example.com"
location = "exact.local"
[[registry]]
prefix = "*.example.com"
location = "wild.local"
`);
    expect(findRegistry(c, 'a.example.com/x')?.prefix).toBe('*.example.com');
    expect(findRegistry(c, 'b.example.com/x')?.prefix).toBe('*.example.com');
    expect(findRegistry(c, 'example.com/x')).toBeUndefined();
  });
});

describe('shortNameCandidates', () => {
  const names = (refs: ImageReference[]) =>
    refs.map((r) => `${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ''}${r.digest ? '@…' : ''}`);

  it('is docker.io without configuration, as in docker', () => {
    const r = shortNameCandidates('busybox', emptyRegistriesConfig());
    expect(r).toEqual({ refs: [{ domain: 'docker.io', path: 'library/busybox' }] });
  });

  it('is docker.io when registries.conf sets no search registries, aliases or not', () => {
    const c = conf('[aliases]\n"busybox" = "quay.io/prometheus/busybox"\n');
    expect(names(shortNameCandidates('busybox:1', c).refs)).toEqual([
      'docker.io/library/busybox:1',
    ]);
    expect(
      names(shortNameCandidates('user/app', conf('unqualified-search-registries = []\n')).refs),
    ).toEqual(['docker.io/user/app']);
  });

  it('tries each search registry in order, keeping tag and digest', () => {
    const c = conf('unqualified-search-registries = ["quay.io", "docker.io", "localhost:5000"]\n');
    const r = shortNameCandidates('busybox:1.36', c);
    expect(names(r.refs)).toEqual([
      'quay.io/busybox:1.36',
      'docker.io/library/busybox:1.36',
      'localhost:5000/busybox:1.36',
    ]);
    expect(r.searchFile).toBe(join(root, 'registries.conf'));
    expect(r.alias).toBeUndefined();
    expect(names(shortNameCandidates(`team/app@${DIGEST}`, c).refs)).toEqual([
      'quay.io/team/app@…',
      'docker.io/team/app@…',
      'localhost:5000/team/app@…',
    ]);
  });

  it('uses an alias alone, with the tag or digest that was given', () => {
    const c = conf(`
unqualified-search-registries = ["docker.io", "quay.io"]
[aliases]
"podman" = "quay.io/podman/stable"
"opensuse/leap" = "registry.opensuse.org/opensuse/leap"
`);
    const r = shortNameCandidates('podman:v5', c);
    expect(names(r.refs)).toEqual(['quay.io/podman/stable:v5']);
    expect(r.alias).toBe(join(root, 'registries.conf'));
    expect(names(shortNameCandidates(`opensuse/leap@${DIGEST}`, c).refs)).toEqual([
      'registry.opensuse.org/opensuse/leap@…',
    ]);
    expect(names(shortNameCandidates('other', c).refs)).toEqual([
      'docker.io/library/other',
      'quay.io/other',
    ]);
  });

  it('leaves a fully qualified name alone', () => {
    const c = conf(
      'unqualified-search-registries = ["quay.io"]\n[aliases]\n"app" = "quay.io/x/app"\n',
    );
    for (const input of ['docker.io/app', 'localhost/app', 'example.com:5000/app:1']) {
      expect(shortNameCandidates(input, c)).toEqual({ refs: [parseReference(input)] });
    }
  });

  it('refuses an ambiguous name under short-name-mode "enforcing", since tsctr never prompts', () => {
    const c = conf(
      'short-name-mode = "enforcing"\nunqualified-search-registries = ["quay.io", "docker.io"]\n',
    );
    const err = thrown(() => shortNameCandidates('app:1', c));
    expect(err.message).toBe(
      'short name "app" is ambiguous: it could be on any of quay.io, docker.io (short-name-mode is "enforcing")',
    );
    expect(err.hint).toContain('quay.io/app');
    const one = conf(
      'short-name-mode = "enforcing"\nunqualified-search-registries = ["quay.io"]\n',
    );
    expect(names(shortNameCandidates('app', one).refs)).toEqual(['quay.io/app']);
  });

  it("fails on invalid input with docker's message", () => {
    const c = conf('unqualified-search-registries = ["quay.io"]\n');
    expect(thrown(() => shortNameCandidates('Busybox', c)).message).toBe(
      'invalid reference format: repository name (library/Busybox) must be lowercase',
    );
  });
});
