import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TsctrError } from '../../src/errors.ts';
import {
  emptyRegistriesConfig,
  loadRegistriesConfig,
  type RegistriesConfig,
} from '../../src/registry/registries-conf.ts';

// Every path is under a fresh temporary directory: the host's /etc/containers and
// /var/cache/containers are replaced through LoadOptions, HOME and XDG_* through the env.
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsctr-registries-conf-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const at = (rel: string) => join(root, rel);
const USER_CONF = 'config/containers/registries.conf';
const USER_DIR = 'config/containers/registries.conf.d';
const SYSTEM_CONF = 'etc/registries.conf';
const SYSTEM_DIR = 'etc/registries.conf.d';
const TSCTR_JSON = 'config/tsctr/config.json';

function write(rel: string, text: string): string {
  const path = at(rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function load(env: NodeJS.ProcessEnv = {}): RegistriesConfig {
  return loadRegistriesConfig(
    { HOME: at('home'), XDG_CONFIG_HOME: at('config'), XDG_CACHE_HOME: at('cache'), ...env },
    { systemConfigDir: at('etc'), systemCacheDir: at('var-cache') },
  );
}

function loadError(env: NodeJS.ProcessEnv = {}): TsctrError {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(TsctrError);
    return err as TsctrError;
  }
  throw new Error('loading did not fail');
}

/** podman's alias file: /var/cache/containers for root, $XDG_CACHE_HOME/containers otherwise. */
const PODMAN_ALIASES =
  process.geteuid?.() === 0
    ? 'var-cache/short-name-aliases.conf'
    : 'cache/containers/short-name-aliases.conf';

describe('which files are read', () => {
  it('without any file is docker: nothing configured', () => {
    expect(load()).toEqual(emptyRegistriesConfig());
  });

  it('reads the system file, then system drop-ins, then user drop-ins, each in lexical order', () => {
    write(SYSTEM_CONF, 'unqualified-search-registries = ["a.example"]\n');
    write(`${SYSTEM_DIR}/20-b.conf`, 'short-name-mode = "disabled"\n');
    write(`${SYSTEM_DIR}/10-a.conf`, 'unqualified-search-registries = ["b.example"]\n');
    write(`${SYSTEM_DIR}/30-c.conf.bak`, 'this is not TOML and not read');
    write(`${SYSTEM_DIR}/sub.conf/x.conf`, 'neither is this');
    write(`${USER_DIR}/00-z.conf`, 'unqualified-search-registries = ["c.example"]\n');
    const conf = load();
    expect(conf.files).toEqual([
      at(SYSTEM_CONF),
      at(`${SYSTEM_DIR}/10-a.conf`),
      at(`${SYSTEM_DIR}/20-b.conf`),
      at(`${USER_DIR}/00-z.conf`),
    ]);
    expect(conf.unqualifiedSearchRegistries).toEqual(['c.example']);
    expect(conf.searchFile).toBe(at(`${USER_DIR}/00-z.conf`));
    expect(conf.shortNameMode).toBe('disabled');
  });

  it('reads a file of comments only as empty', () => {
    write(SYSTEM_CONF, '# unqualified-search-registries = ["x.io"]\n\n   # [[registry]]\r\n');
    expect(load()).toEqual({ ...emptyRegistriesConfig(), files: [at(SYSTEM_CONF)] });
  });

  it('reads drop-ins even when there is no main file', () => {
    write(`${SYSTEM_DIR}/a.conf`, 'unqualified-search-registries = ["quay.io"]\n');
    expect(load().unqualifiedSearchRegistries).toEqual(['quay.io']);
  });

  it("prefers the user's file, and then reads only the user's drop-ins", () => {
    write(SYSTEM_CONF, 'unqualified-search-registries = ["system.example"]\n');
    write(`${SYSTEM_DIR}/a.conf`, 'short-name-mode = "disabled"\n');
    write(USER_CONF, 'unqualified-search-registries = ["user.example"]\n');
    write(`${USER_DIR}/a.conf`, 'short-name-mode = "enforcing"\n');
    const conf = load();
    expect(conf.files).toEqual([at(USER_CONF), at(`${USER_DIR}/a.conf`)]);
    expect(conf.unqualifiedSearchRegistries).toEqual(['user.example']);
    expect(conf.shortNameMode).toBe('enforcing');
  });

  it('falls back to $HOME/.config without XDG_CONFIG_HOME', () => {
    write('home/.config/containers/registries.conf', 'unqualified-search-registries = ["h.io"]\n');
    write('home/.config/tsctr/config.json', '{"registry-mirrors": ["https://m.example"]}');
    const conf = load({ XDG_CONFIG_HOME: '' });
    expect(conf.unqualifiedSearchRegistries).toEqual(['h.io']);
    expect(conf.registryMirrors).toEqual([{ host: 'm.example', insecure: false }]);
  });

  it('CONTAINERS_REGISTRIES_CONF replaces the main file; both drop-in directories still apply', () => {
    write(USER_CONF, 'unqualified-search-registries = ["user.example"]\n');
    const explicit = write('elsewhere.conf', '[[registry]]\nlocation = "own.example"\n');
    write(`${SYSTEM_DIR}/a.conf`, 'short-name-mode = "disabled"\n');
    write(`${USER_DIR}/b.conf`, 'unqualified-search-registries = ["drop.example"]\n');
    const conf = load({ CONTAINERS_REGISTRIES_CONF: explicit });
    expect(conf.files).toEqual([explicit, at(`${SYSTEM_DIR}/a.conf`), at(`${USER_DIR}/b.conf`)]);
    expect(conf.registries.map((r) => r.prefix)).toEqual(['own.example']);
    expect(conf.unqualifiedSearchRegistries).toEqual(['drop.example']);
  });

  it('CONTAINERS_REGISTRIES_CONF must name an existing file', () => {
    const err = loadError({ CONTAINERS_REGISTRIES_CONF: at('missing.conf') });
    expect(err.message).toBe(`registries configuration ${at('missing.conf')} does not exist`);
    expect(err.hint).toContain('CONTAINERS_REGISTRIES_CONF');
  });
});

describe('merging drop-ins', () => {
  it('replaces a [[registry]] with the same prefix and keeps the others, sorted by prefix', () => {
    write(
      SYSTEM_CONF,
      `[[registry]]
prefix = "z.example"
location = "z.example"
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "old-mirror.example"
`,
    );
    write(
      `${SYSTEM_DIR}/mirror.conf`,
      `[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "new-mirror.example/hub"
pull-from-mirror = "digest-only"
insecure = true
[[registry]]
location = "a.example"
blocked = true
`,
    );
    const conf = load();
    expect(conf.registries.map((r) => r.prefix)).toEqual(['a.example', 'docker.io', 'z.example']);
    const hub = conf.registries[1]!;
    expect(hub.file).toBe(at(`${SYSTEM_DIR}/mirror.conf`));
    expect(hub.mirrors).toEqual([
      { location: 'new-mirror.example/hub', insecure: true, pullFromMirror: 'digest-only' },
    ]);
    expect(conf.registries[0]).toMatchObject({ location: 'a.example', blocked: true });
    expect(conf.registries[2]!.file).toBe(at(SYSTEM_CONF));
  });

  it('merges [aliases]: later files override, "" removes', () => {
    write(
      SYSTEM_CONF,
      `unqualified-search-registries = ["docker.io"]
[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
"centos" = "quay.io/centos/centos"
"opensuse/leap" = "registry.opensuse.org/opensuse/leap"
`,
    );
    write(`${USER_DIR}/x.conf`, '[aliases]\n"fedora" = "quay.io/fedora/fedora"\n"centos" = ""\n');
    const conf = load();
    expect([...conf.aliases]).toEqual([
      ['fedora', { value: 'quay.io/fedora/fedora', file: at(`${USER_DIR}/x.conf`) }],
      ['opensuse/leap', { value: 'registry.opensuse.org/opensuse/leap', file: at(SYSTEM_CONF) }],
    ]);
  });

  it("gives podman's short-name-aliases.conf precedence, when short names are searched", () => {
    write(
      SYSTEM_CONF,
      'unqualified-search-registries = ["docker.io"]\n[aliases]\n"a" = "x.io/a"\n',
    );
    write(PODMAN_ALIASES, '[aliases]\n"a" = "y.io/a"\n"b" = "y.io/b"\n');
    const conf = load();
    expect(conf.aliases.get('a')).toEqual({ value: 'y.io/a', file: at(PODMAN_ALIASES) });
    expect(conf.aliases.get('b')?.value).toBe('y.io/b');
    expect(conf.files).toEqual([at(SYSTEM_CONF), at(PODMAN_ALIASES)]);
  });

  it("does not read podman's alias file when short names mean docker.io", () => {
    write(PODMAN_ALIASES, 'not TOML at all [');
    expect(load().files).toEqual([]);
  });

  it('keeps the first of two entries with one prefix in a single file', () => {
    write(
      SYSTEM_CONF,
      `[[registry]]
prefix = "example.com"
location = "first.example"
[[registry]]
prefix = "example.com"
location = "second.example"
`,
    );
    expect(load().registries).toMatchObject([{ prefix: 'example.com', location: 'first.example' }]);
  });

  it('trims trailing slashes and defaults prefix to location', () => {
    write(SYSTEM_CONF, '[[registry]]\nlocation = "example.com/ns/"\n');
    expect(load().registries).toMatchObject([
      { prefix: 'example.com/ns', location: 'example.com/ns' },
    ]);
  });
});

describe('credential-helpers', () => {
  it('is the auth files alone by default; a later file that sets it replaces it', () => {
    expect(load()).toMatchObject({
      credentialHelpers: ['containers-auth.json'],
      credentialHelpersFile: undefined,
    });
    write(SYSTEM_CONF, 'credential-helpers = ["secretservice", "containers-auth.json"]\n');
    expect(load()).toMatchObject({
      credentialHelpers: ['secretservice', 'containers-auth.json'],
      credentialHelpersFile: at(SYSTEM_CONF),
    });
    const drop = write(`${SYSTEM_DIR}/a.conf`, 'credential-helpers = ["pass"]\n');
    expect(load()).toMatchObject({ credentialHelpers: ['pass'], credentialHelpersFile: drop });
    // An empty list restores the default; a file without the key changes nothing.
    write(`${SYSTEM_DIR}/b.conf`, 'credential-helpers = []\n');
    write(`${SYSTEM_DIR}/c.conf`, 'short-name-mode = "enforcing"\n');
    expect(load()).toMatchObject({
      credentialHelpers: ['containers-auth.json'],
      credentialHelpersFile: undefined,
    });
  });

  it('refuses a name that is no helper name', () => {
    write(USER_CONF, 'credential-helpers = ["../bin/evil"]\n');
    expect(loadError().message).toBe(
      `invalid registries configuration ${at(USER_CONF)}: "credential-helpers" entry "../bin/evil" is not a helper name`,
    );
    write(USER_CONF, 'credential-helpers = "pass"\n');
    expect(loadError().message).toBe(
      `invalid registries configuration ${at(USER_CONF)}: "credential-helpers" must be an array of strings`,
    );
  });
});

describe('version 1 files', () => {
  it('converts search, insecure and block as containers/image does', () => {
    write(
      SYSTEM_CONF,
      `[registries.search]
registries = ['registry1.com', 'registry2.com']
[registries.insecure]
registries = ['registry3.com:5000']
[registries.block]
registries = ['registry.untrusted.com', 'registry3.com:5000']
`,
    );
    const conf = load();
    expect(conf.unqualifiedSearchRegistries).toEqual(['registry1.com', 'registry2.com']);
    expect(conf.registries).toMatchObject([
      { prefix: 'registry.untrusted.com', blocked: true, insecure: false },
      {
        prefix: 'registry3.com:5000',
        location: 'registry3.com:5000',
        blocked: true,
        insecure: true,
      },
    ]);
  });

  it('refuses version 1 in a drop-in', () => {
    write(`${SYSTEM_DIR}/old.conf`, "[registries.search]\nregistries = ['quay.io']\n");
    const err = loadError();
    expect(err.message).toBe(
      `invalid registries configuration ${at(`${SYSTEM_DIR}/old.conf`)}: a drop-in file must ` +
        'use the version 2 format, not [registries.*]',
    );
    expect(err.hint).toContain('convert it to version 2');
  });

  it('refuses a file that mixes the formats', () => {
    write(
      SYSTEM_CONF,
      "unqualified-search-registries = ['a.io']\n[registries.search]\nregistries = ['quay.io']\n",
    );
    expect(loadError().message).toContain('cannot be mixed with version 2');
  });
});

describe('malformed registries.conf', () => {
  it('reports a TOML syntax error with file, line and column', () => {
    write(
      USER_CONF,
      'unqualified-search-registries = ["docker.io"]\n[[registry]\nlocation = "x"\n',
    );
    const err = loadError();
    expect(err.message).toMatch(
      new RegExp(`^invalid TOML in ${at(USER_CONF)}: line 2, column \\d+: .+`),
    );
    expect(err.message).not.toContain('\n');
    expect(err.hint).toContain('containers-registries.conf(5)');
    expect(err.path).toBe(at(USER_CONF));
  });

  const cases: [string, string, string][] = [
    [
      'wrong type',
      '[[registry]]\nlocation = "a.io"\ninsecure = "yes"\n',
      '[[registry]] with prefix "a.io" insecure must be true or false',
    ],
    [
      '[registry] instead of [[registry]]',
      '[registry]\nlocation = "a.io"\n',
      '"registry" must be an array of tables ([[…]])',
    ],
    [
      'a URL as location',
      '[[registry]]\nlocation = "https://a.io"\n',
      '[[registry]] #1: "https://a.io" must not have a URL scheme',
    ],
    [
      'neither prefix nor location',
      '[[registry]]\ninsecure = true\n',
      '[[registry]] #1 has neither "prefix" nor "location"',
    ],
    [
      'prefix without location',
      '[[registry]]\nprefix = "a.io"\n',
      'has no "location"; only a "*.example.com" prefix may omit it',
    ],
    [
      'a wildcard with a path',
      '[[registry]]\nprefix = "*.a.io/ns"\n',
      'a wildcard prefix must be "*.example.com"',
    ],
    [
      'a location that is no host',
      '[[registry]]\nlocation = "no-host/ns"\n',
      'location "no-host/ns" is not host[:port][/path]',
    ],
    [
      'pull-from-mirror on the registry',
      '[[registry]]\nlocation = "a.io"\npull-from-mirror = "all"\n',
      '"pull-from-mirror" belongs in its [[registry.mirror]] tables',
    ],
    [
      'a bad pull-from-mirror',
      '[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "sometimes"\n',
      'mirror #1: "pull-from-mirror" must be "all", "digest-only" or "tag-only"',
    ],
    [
      'a mirror without location',
      '[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\ninsecure = true\n',
      '[[registry]] with prefix "a.io", mirror #1 has no "location"',
    ],
    [
      'both digest-only switches',
      '[[registry]]\nlocation = "a.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "tag-only"\n',
      'cannot be combined with the registry\'s "mirror-by-digest-only"',
    ],
    [
      'conflicting insecure',
      '[[registry]]\nprefix = "a.io/x"\nlocation = "a.io"\ninsecure = true\n[[registry]]\nprefix = "a.io/y"\nlocation = "a.io"\n',
      'registry "a.io" is defined more than once with different "insecure"',
    ],
    [
      'a search entry with a path',
      'unqualified-search-registries = ["quay.io/ns"]\n',
      '"unqualified-search-registries" entry "quay.io/ns" is not a registry host[:port]',
    ],
    [
      'search registries as a string',
      'unqualified-search-registries = "quay.io"\n',
      'unqualified-search-registries must be an array of strings',
    ],
    [
      'a bad short-name-mode',
      'short-name-mode = "strict"\n',
      '"short-name-mode" must be "enforcing", "permissive" or "disabled"',
    ],
  ];
  it.each(cases)('refuses %s', (_what, text, problem) => {
    write(USER_CONF, text);
    const err = loadError();
    expect(err.message).toContain(`invalid registries configuration ${at(USER_CONF)}: `);
    expect(err.message).toContain(problem);
  });

  it('reports every bad alias of a file at once, when short names are searched', () => {
    write(
      USER_CONF,
      'unqualified-search-registries = ["docker.io"]\n[aliases]\n"quay.io/x" = "quay.io/x"\n' +
        `"a" = "a:1"\n"b" = "docker.io/b@sha256:${'a'.repeat(64)}"\n"ok" = "quay.io/ok"\n`,
    );
    const message = loadError().message;
    expect(message).toContain(`invalid registries configuration ${at(USER_CONF)}: `);
    expect(message).toContain('alias "quay.io/x": must be a short name, without a registry');
    expect(message).toContain('alias "a" = "a:1": must not have a tag');
    expect(message).toContain('alias "b" = "docker.io/b@sha256:');
    expect(message).toContain('must not have a digest');
    expect(message).not.toContain('"ok"');
  });

  it('does not check aliases when short names mean docker.io', () => {
    write(`${SYSTEM_DIR}/aliases.conf`, '[aliases]\n"quay.io/x" = "not a name"\n');
    expect(load().files).toEqual([at(`${SYSTEM_DIR}/aliases.conf`)]);
  });

  it('refuses an alias that is not a string', () => {
    write(USER_CONF, '[aliases]\n"c" = 3\n');
    expect(loadError().message).toBe(
      `invalid registries configuration ${at(USER_CONF)}: alias "c" must be a string`,
    );
  });
});

describe("tsctr's config.json", () => {
  it('reads registry-mirrors as host roots and insecure-registries as hosts or CIDRs', () => {
    write(
      TSCTR_JSON,
      JSON.stringify({
        'registry-mirrors': [
          'https://docker.m.daocloud.io',
          'http://10.0.0.5:5000/',
          'mirror.example.com',
        ],
        'insecure-registries': ['HTTP://Reg.Example:5000', '192.168.0.0/16', 'fd00::/8', 'plain'],
        'log-level': 'debug',
      }),
    );
    const conf = load();
    expect(conf.registryMirrors).toEqual([
      { host: 'docker.m.daocloud.io', insecure: false },
      { host: '10.0.0.5:5000', insecure: true },
      { host: 'mirror.example.com', insecure: false },
    ]);
    expect(conf.insecureRegistries).toEqual(['reg.example:5000', 'plain']);
    expect(conf.insecureCidrs).toEqual(['192.168.0.0/16', 'fd00::/8']);
    expect(conf.files).toEqual([at(TSCTR_JSON)]);
  });

  it('reports bad JSON with the file and where, on one line', () => {
    write(TSCTR_JSON, '{\n  "registry-mirrors": ["https://a.io" "https://b.io"]\n}\n');
    let err = loadError();
    expect(err.message).toBe(
      `invalid JSON in ${at(TSCTR_JSON)}: Expected ',' or ']' after array element in JSON at ` +
        'position 40 (line 2 column 39)',
    );
    expect(err.hint).toContain('registry-mirrors');
    write(TSCTR_JSON, '{\n  "registry-mirrors": ["https://a.io",]\n}\n');
    err = loadError();
    expect(err.message).toMatch(new RegExp(`^invalid JSON in ${at(TSCTR_JSON)}: Unexpected token`));
    expect(err.message).not.toContain('\n');
  });

  const cases: [string, unknown, string][] = [
    [
      'a list that is not one',
      { 'registry-mirrors': 'https://a.io' },
      '"registry-mirrors" must be an array of strings',
    ],
    ['a non-object', ['https://a.io'], 'the file must hold a JSON object'],
    [
      'a mirror with a path',
      { 'registry-mirrors': ['https://m.daocloud.io/docker.io'] },
      'must be the root of a registry',
    ],
    [
      'a mirror with another scheme',
      { 'registry-mirrors': ['ftp://a.io'] },
      'must use http or https',
    ],
    [
      'a mirror with credentials',
      { 'registry-mirrors': ['https://u:p@a.io'] },
      'must not hold credentials',
    ],
    ['a bad insecure registry', { 'insecure-registries': ['a b'] }, 'is not host[:port] or a CIDR'],
    ['a bad CIDR', { 'insecure-registries': ['10.0.0.0/33'] }, 'is not host[:port] or a CIDR'],
  ];
  it.each(cases)('refuses %s', (_what, doc, problem) => {
    write(TSCTR_JSON, JSON.stringify(doc));
    const err = loadError();
    expect(err.message).toContain(`invalid tsctr configuration ${at(TSCTR_JSON)}: `);
    expect(err.message).toContain(problem);
  });

  it('points a mirror under a path at registries.conf', () => {
    write(TSCTR_JSON, JSON.stringify({ 'registry-mirrors': ['https://m.daocloud.io/docker.io'] }));
    expect(loadError().hint).toContain('[[registry.mirror]] with location = "host/path"');
  });
});
