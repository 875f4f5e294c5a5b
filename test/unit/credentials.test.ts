import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TsctrError } from '../../src/errors.ts';
import {
  authFilePath,
  credentialKey,
  getCredentials,
  removeAllCredentials,
  removeCredentials,
  storeCredentials,
} from '../../src/registry/credentials.ts';
import { helperGet } from '../../src/registry/credential-helper.ts';
import { CRED_HELPER as HELPER } from '../fixtures/cred-helper.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const auth = (user: string, pass: string) => ({ auth: b64(`${user}:${pass}`) });

let dir: string;
let env: NodeJS.ProcessEnv;
let home: string;
let runtime: string;
let config: string;
let store: string;

function write(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
}
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

const runtimeFile = () => join(runtime, 'containers/auth.json');
const configFile = () => join(config, 'containers/auth.json');
const dockerFile = () => join(home, '.docker/config.json');
const legacyFile = () => join(home, '.dockercfg');

/** Puts a secret into the test helper as `docker-credential-test store` would. */
function helperHas(server: string, username: string, secret: string): void {
  const name = Buffer.from(server).toString('hex');
  writeFileSync(
    join(store, `${name}.json`),
    JSON.stringify({ ServerURL: server, Username: username, Secret: secret }),
  );
}
const helperEntries = () => readdirSync(store).filter((f) => f.endsWith('.json'));
const helperLog = () =>
  existsSync(join(store, 'log')) ? readFileSync(join(store, 'log'), 'utf8').trim().split('\n') : [];

async function failure(p: Promise<unknown>): Promise<TsctrError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TsctrError);
    return err as TsctrError;
  }
  throw new Error('expected a TsctrError');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsctr-cred-'));
  home = join(dir, 'home');
  runtime = join(dir, 'run');
  config = join(dir, 'config');
  store = join(dir, 'helper-store');
  const bin = join(dir, 'bin');
  for (const d of [home, runtime, config, store, bin]) mkdirSync(d, { recursive: true });
  writeFileSync(join(bin, 'docker-credential-test'), HELPER);
  chmodSync(join(bin, 'docker-credential-test'), 0o755);
  writeFileSync(join(bin, 'docker-credential-slow'), '#!/bin/sh\nexec sleep 10\n');
  chmodSync(join(bin, 'docker-credential-slow'), 0o755);
  writeFileSync(
    join(bin, 'docker-credential-broken'),
    '#!/bin/sh\necho "keyring is locked"\nexit 3\n',
  );
  chmodSync(join(bin, 'docker-credential-broken'), 0o755);
  env = {
    HOME: home,
    XDG_RUNTIME_DIR: runtime,
    XDG_CONFIG_HOME: config,
    TMPDIR: dir,
    PATH: `${bin}:${process.env.PATH}`,
    TEST_CRED_STORE: store,
  };
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('authFilePath', () => {
  it('is $XDG_RUNTIME_DIR/containers/auth.json, or REGISTRY_AUTH_FILE', () => {
    expect(authFilePath(env)).toBe(join(runtime, 'containers/auth.json'));
    expect(authFilePath({ ...env, REGISTRY_AUTH_FILE: '/x/auth.json' })).toBe('/x/auth.json');
  });

  it('falls back to the per-user directory under TMPDIR without XDG_RUNTIME_DIR', () => {
    const { XDG_RUNTIME_DIR: _, ...rest } = env;
    expect(authFilePath(rest)).toBe(
      join(dir, `tsctr-run-${process.getuid!()}`, 'containers/auth.json'),
    );
  });
});

describe('lookup order', () => {
  beforeEach(() => {
    write(runtimeFile(), { auths: { 'quay.io': auth('runtime', 'p1') } });
    write(configFile(), { auths: { 'quay.io': auth('config', 'p2') } });
    write(dockerFile(), { auths: { 'quay.io': auth('docker', 'p3') } });
    write(legacyFile(), { 'https://quay.io/v1/': auth('legacy', 'p4') });
  });

  it('searches runtime, XDG config, docker, legacy; the first file with an entry wins', async () => {
    const user = async () => (await getCredentials('quay.io', { env }))?.username;
    expect(await getCredentials('quay.io', { env })).toEqual({
      username: 'runtime',
      password: 'p1',
      source: runtimeFile(),
      file: runtimeFile(),
    });
    rmSync(runtimeFile());
    expect(await user()).toBe('config');
    rmSync(configFile());
    expect(await user()).toBe('docker');
    rmSync(dockerFile());
    expect(await user()).toBe('legacy');
    rmSync(legacyFile());
    expect(await getCredentials('quay.io', { env })).toBeUndefined();
  });

  it('passes over files without an entry for the registry', async () => {
    write(runtimeFile(), { auths: { 'other.io': auth('x', 'y') } });
    write(configFile(), { credHelpers: { 'other.io': 'test' } });
    expect((await getCredentials('quay.io', { env }))?.username).toBe('docker');
  });

  it('uses $DOCKER_CONFIG/config.json instead of ~/.docker/config.json', async () => {
    rmSync(runtimeFile());
    rmSync(configFile());
    const dockerConfig = join(dir, 'dc');
    write(join(dockerConfig, 'config.json'), { auths: { 'quay.io': auth('dc', 'p') } });
    const found = await getCredentials('quay.io', { env: { ...env, DOCKER_CONFIG: dockerConfig } });
    expect(found?.username).toBe('dc');
    expect(found?.file).toBe(join(dockerConfig, 'config.json'));
  });

  it('reads only REGISTRY_AUTH_FILE when it is set, and only --authfile over that', async () => {
    const explicit = join(dir, 'explicit.json');
    write(explicit, { auths: { 'other.io': auth('e', 'p') } });
    const withFile = { ...env, REGISTRY_AUTH_FILE: explicit };
    expect(await getCredentials('quay.io', { env: withFile })).toBeUndefined();
    expect((await getCredentials('other.io', { env: withFile }))?.username).toBe('e');
    const flag = join(dir, 'flag.json');
    write(flag, { auths: { 'other.io': auth('flag', 'p') } });
    expect((await getCredentials('other.io', { env: withFile, authfile: flag }))?.username).toBe(
      'flag',
    );
  });

  it('ignores a fallback runtime directory that belongs to another user', async () => {
    const { XDG_RUNTIME_DIR: _, ...rest } = env;
    const fallback = join(dir, `tsctr-run-${process.getuid!()}`);
    write(join(fallback, 'containers/auth.json'), { auths: { 'quay.io': auth('fb', 'p') } });
    expect((await getCredentials('quay.io', { env: rest }))?.username).toBe('fb');
    if (process.getuid!() === 0) {
      const { chownSync } = await import('node:fs');
      chownSync(fallback, 4321, 4321);
      expect((await getCredentials('quay.io', { env: rest }))?.username).toBe('config');
    }
  });
});

describe('entry keys', () => {
  const found = async (auths: Record<string, unknown>, registry: string, repository?: string) => {
    write(runtimeFile(), { auths });
    return (await getCredentials(registry, { env, repository }))?.username;
  };

  it.each([
    ['quay.io', 'quay.io'],
    ['https://quay.io', 'quay.io'],
    ['http://quay.io/v1/', 'quay.io'],
    ['https://localhost:5000/v2/', 'localhost:5000'],
    ['localhost:5000', 'localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
  ])('finds key %s for registry %s', async (key, registry) => {
    expect(await found({ [key]: auth('u', 'p') }, registry)).toBe('u');
  });

  it('does not confuse ports or namespaces with the registry', async () => {
    expect(await found({ 'localhost:5001': auth('u', 'p') }, 'localhost:5000')).toBeUndefined();
    expect(await found({ 'quay.io/team': auth('u', 'p') }, 'quay.io')).toBeUndefined();
    expect(await found({ 'quay.io.evil': auth('u', 'p') }, 'quay.io')).toBeUndefined();
  });

  it('prefers an exact key over a URL-form one', async () => {
    const auths = { 'https://quay.io': auth('url', 'p'), 'quay.io': auth('exact', 'p') };
    expect(await found(auths, 'quay.io')).toBe('exact');
  });

  it.each(['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io'])(
    'finds Docker Hub under %s',
    async (key) => {
      expect(await found({ [key]: auth('hub', 'p') }, 'docker.io')).toBe('hub');
      expect(await found({ [key]: auth('hub', 'p') }, 'index.docker.io')).toBe('hub');
    },
  );

  it('prefers the most specific namespace when given a repository', async () => {
    const auths = {
      'quay.io/a/b/c': auth('abc', 'p'),
      'quay.io/a': auth('a', 'p'),
      'quay.io': auth('root', 'p'),
      'docker.io/team': auth('team', 'p'),
      'https://index.docker.io/v1/': auth('hub', 'p'),
    };
    expect(await found(auths, 'quay.io', 'a/b/c')).toBe('abc');
    expect(await found(auths, 'quay.io', 'a/b')).toBe('a');
    expect(await found(auths, 'quay.io', 'a/bc')).toBe('a');
    expect(await found(auths, 'quay.io', 'x/y')).toBe('root');
    expect(await found(auths, 'quay.io')).toBe('root');
    expect(await found(auths, 'docker.io', 'team/app')).toBe('team');
    expect(await found(auths, 'docker.io', 'library/busybox')).toBe('hub');
  });

  it('reads identitytoken and spelled-out username/password, and strips NUL padding', async () => {
    write(runtimeFile(), {
      auths: {
        a: { ...auth('u', ''), identitytoken: 'refresh' },
        b: { username: 'plain', password: 'pw' },
        c: auth('pad', 'pw\0\0'),
        d: auth('colon', 'p:w'),
      },
    });
    expect(await getCredentials('a', { env })).toMatchObject({
      username: 'u',
      password: '',
      identityToken: 'refresh',
    });
    expect(await getCredentials('b', { env })).toMatchObject({ username: 'plain', password: 'pw' });
    expect((await getCredentials('c', { env }))?.password).toBe('pw');
    expect((await getCredentials('d', { env }))?.password).toBe('p:w');
  });

  it('treats an empty entry (docker marker for a helper) as no credentials', async () => {
    write(runtimeFile(), { auths: { 'quay.io': {} } });
    write(configFile(), { auths: { 'quay.io': auth('next', 'p') } });
    expect((await getCredentials('quay.io', { env }))?.username).toBe('next');
  });
});

describe('malformed files', () => {
  it('names the file that is not JSON, with a hint', async () => {
    write(runtimeFile(), '{"auths": {');
    const err = await failure(getCredentials('quay.io', { env }));
    expect(err.message).toContain(runtimeFile());
    expect(err.hint).toMatch(/fix or remove/);
  });

  it('accepts an empty file', async () => {
    write(runtimeFile(), '');
    write(configFile(), { auths: { 'quay.io': auth('u', 'p') } });
    expect((await getCredentials('quay.io', { env }))?.username).toBe('u');
  });

  it('refuses "auths" that is not an object', async () => {
    write(runtimeFile(), { auths: ['quay.io'] });
    const err = await failure(getCredentials('quay.io', { env }));
    expect(err.message).toBe(`${runtimeFile()}: "auths" is not a JSON object`);
  });

  it('does not mind a bad entry for another registry', async () => {
    write(runtimeFile(), {
      auths: { 'bad.io': { auth: '%%%' }, worse: 7, 'quay.io': auth('u', 'p') },
    });
    expect((await getCredentials('quay.io', { env }))?.username).toBe('u');
  });

  it('refuses the needed entry when its auth is not base64', async () => {
    write(runtimeFile(), { auths: { 'quay.io': { auth: 'dTpw%' } } });
    const err = await failure(getCredentials('quay.io', { env }));
    expect(err.message).toBe(
      `invalid credentials for "quay.io" in ${runtimeFile()}: "auth" is not valid base64`,
    );
    expect(err.hint).toMatch(/login again/);
  });

  it('refuses the needed entry without a colon, or that is not an object', async () => {
    write(runtimeFile(), { auths: { 'quay.io': { auth: b64('nocolon') }, 'x.io': 'str' } });
    const err = await failure(getCredentials('quay.io', { env }));
    expect(err.message).toBe(`invalid auth configuration file ${runtimeFile()}`);
    expect(err.hint).toContain('"auth" of "quay.io"');
    const err2 = await failure(getCredentials('x.io', { env }));
    expect(err2.message).toContain('the entry is not a JSON object');
  });

  it('refuses to overwrite a file it cannot parse', async () => {
    write(runtimeFile(), 'not json');
    await failure(storeCredentials('quay.io', 'u', 'p', { env }));
    expect(readFileSync(runtimeFile(), 'utf8')).toBe('not json');
  });
});

describe('credential helpers', () => {
  it('asks the credHelpers helper for its registry, with the registry as server URL', async () => {
    helperHas('quay.io', 'hu', 'hs');
    write(configFile(), { credHelpers: { 'quay.io': 'test' } });
    expect(await getCredentials('quay.io', { env })).toEqual({
      username: 'hu',
      password: 'hs',
      source: `docker-credential-test (named by the "credHelpers" setting in ${configFile()})`,
      file: configFile(),
      helper: 'test',
    });
    expect(helperLog()).toEqual(['get quay.io']);
  });

  it("asks credsStore with docker's Docker Hub key in docker's config.json", async () => {
    helperHas('https://index.docker.io/v1/', 'hub', 'secret');
    write(dockerFile(), { auths: { 'https://index.docker.io/v1/': {} }, credsStore: 'test' });
    expect(await getCredentials('docker.io', { env })).toMatchObject({
      username: 'hub',
      password: 'secret',
      helper: 'test',
    });
    expect(helperLog()).toEqual(['get https://index.docker.io/v1/']);
  });

  it('finds credHelpers keyed the way docker keys Docker Hub', async () => {
    helperHas('https://index.docker.io/v1/', 'hub', 'secret');
    write(dockerFile(), { credHelpers: { 'https://index.docker.io/v1/': 'test' } });
    expect((await getCredentials('docker.io', { env }))?.username).toBe('hub');
  });

  it('treats "not found in native keychain" as no credentials and goes on', async () => {
    write(runtimeFile(), {
      credHelpers: { 'quay.io': 'test' },
      auths: { 'quay.io': auth('x', 'y') },
    });
    write(dockerFile(), { auths: { 'quay.io': auth('docker', 'p') } });
    // credHelpers decides alone within its file, so the inline entry beside it is not used.
    expect((await getCredentials('quay.io', { env }))?.username).toBe('docker');
  });

  it('prefers inline entries to credsStore, and uses credsStore when there are none', async () => {
    helperHas('quay.io', 'helper', 'p');
    write(dockerFile(), { auths: { 'quay.io': auth('inline', 'p') }, credsStore: 'test' });
    expect((await getCredentials('quay.io', { env }))?.username).toBe('inline');
    write(dockerFile(), { auths: { 'quay.io': {} }, credsStore: 'test' });
    expect((await getCredentials('quay.io', { env }))?.username).toBe('helper');
  });

  it('reads "<token>" as an identity token', async () => {
    helperHas('quay.io', '<token>', 'refresh-me');
    write(runtimeFile(), { credHelpers: { 'quay.io': 'test' } });
    expect(await getCredentials('quay.io', { env })).toMatchObject({
      username: '',
      password: '',
      identityToken: 'refresh-me',
    });
  });

  it('reports a missing helper binary with a hint naming the setting', async () => {
    write(dockerFile(), { credsStore: 'desktop' });
    const err = await failure(getCredentials('quay.io', { env }));
    expect(err.message).toBe(
      'error getting credentials - err: exec: "docker-credential-desktop": executable file not found in $PATH',
    );
    expect(err.hint).toBe(
      `install docker-credential-desktop on $PATH, or remove the "credsStore" setting in ${dockerFile()}`,
    );
  });

  it('reports a failing helper with its output, as docker does', async () => {
    write(runtimeFile(), { credHelpers: { 'quay.io': 'broken' } });
    const err = await failure(getCredentials('quay.io', { env }));
    expect(err.message).toBe(
      'error getting credentials - err: exit status 3, out: `keyring is locked`',
    );
  });

  it('kills a helper that does not answer in time', async () => {
    const err = await failure(helperGet('slow', 'quay.io', { env, timeoutMs: 200 }));
    expect(err.message).toBe('docker-credential-slow get did not finish within 0.2 s');
  });

  it('reports a helper killed by a signal, and one that cannot start, naming the setting', async () => {
    const bin = join(dir, 'bin');
    writeFileSync(
      join(bin, 'docker-credential-killed'),
      '#!/bin/sh\necho partial\nkill -KILL $$\n',
    );
    chmodSync(join(bin, 'docker-credential-killed'), 0o755);
    writeFileSync(join(bin, 'docker-credential-unreadable'), '#!/bin/sh\n');
    chmodSync(join(bin, 'docker-credential-unreadable'), 0o644);
    write(runtimeFile(), { credHelpers: { 'quay.io': 'killed', 'ghcr.io': 'unreadable' } });
    const killed = await failure(getCredentials('quay.io', { env }));
    expect(killed.message).toBe('error getting credentials - err: signal: SIGKILL, out: `partial`');
    expect(killed.hint).toBe(
      `docker-credential-killed failed; it is named by the "credHelpers" setting in ${runtimeFile()}`,
    );
    const denied = await failure(getCredentials('ghcr.io', { env }));
    expect(denied.message).toBe(
      `getting credentials: cannot run docker-credential-unreadable: EACCES`,
    );
    expect(denied.hint).toBe(
      `docker-credential-unreadable is not executable by you: check its mode and its directory's; it is named by the "credHelpers" setting in ${runtimeFile()}`,
    );
  });
});

describe('storeCredentials', () => {
  it('writes the runtime auth.json, 0600 in a 0700 directory, under podman key docker.io', async () => {
    rmSync(join(runtime), { recursive: true });
    mkdirSync(runtime);
    const stored = await storeCredentials('docker.io', 'me', 'pw', { env });
    expect(stored).toEqual({ file: runtimeFile(), location: runtimeFile() });
    expect(readJson(runtimeFile())).toEqual({ auths: { 'docker.io': auth('me', 'pw') } });
    expect(statSync(runtimeFile()).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(runtimeFile())).mode & 0o777).toBe(0o700);
    expect(readdirSync(dirname(runtimeFile()))).toEqual(['auth.json']);
    expect(await getCredentials('docker.io', { env })).toMatchObject({
      username: 'me',
      password: 'pw',
    });
  });

  it("writes docker's Docker Hub key into docker's config.json, keeping its other fields", async () => {
    const original = {
      auths: { 'quay.io': { auth: b64('q:p'), email: 'kept@example.com' } },
      psFormat: 'table {{.ID}}',
      credHelpers: { 'gcr.io': 'gcloud' },
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      unknownFutureField: [1, 2, 3],
    };
    write(dockerFile(), original);
    chmodSync(dockerFile(), 0o644);
    const stored = await storeCredentials('index.docker.io', 'me', 'pw', {
      env,
      authfile: dockerFile(),
    });
    expect(stored.file).toBe(dockerFile());
    expect(readJson(dockerFile())).toEqual({
      ...original,
      auths: { ...original.auths, 'https://index.docker.io/v1/': auth('me', 'pw') },
    });
    expect(statSync(dockerFile()).mode & 0o777).toBe(0o600);
  });

  it('replaces an existing entry, including its identity token', async () => {
    write(runtimeFile(), { auths: { 'quay.io': { ...auth('old', 'x'), identitytoken: 't' } } });
    await storeCredentials('https://quay.io/v1/', 'new', 'y', { env });
    expect(readJson(runtimeFile())).toEqual({ auths: { 'quay.io': auth('new', 'y') } });
  });

  it('stores an identity token in place of the password', async () => {
    await storeCredentials('quay.io', 'me', 'pw', { env, identityToken: 'tok' });
    expect(readJson(runtimeFile()).auths['quay.io']).toEqual({
      auth: b64('me:'),
      identitytoken: 'tok',
    });
  });

  it('stores a namespaced key in the file', async () => {
    await storeCredentials('quay.io/team', 'me', 'pw', { env });
    expect(Object.keys(readJson(runtimeFile()).auths)).toEqual(['quay.io/team']);
    expect((await getCredentials('quay.io', { env, repository: 'team/app' }))?.username).toBe('me');
    expect(await getCredentials('quay.io', { env })).toBeUndefined();
  });

  it('refuses keys with a tag or digest', async () => {
    const err = await failure(storeCredentials('quay.io/team/app:1', 'u', 'p', { env }));
    expect(err.message).toContain('names a tag or digest');
  });

  it("goes through credsStore, leaving only docker's marker in config.json", async () => {
    write(dockerFile(), {
      auths: { 'https://index.docker.io/v1/': auth('stale', 'x') },
      credsStore: 'test',
    });
    const stored = await storeCredentials('docker.io', 'me', 'pw', { env, authfile: dockerFile() });
    expect(stored).toEqual({
      file: dockerFile(),
      helper: 'test',
      location: 'credential helper docker-credential-test',
    });
    expect(readJson(dockerFile())).toEqual({
      auths: { 'https://index.docker.io/v1/': {} },
      credsStore: 'test',
    });
    expect(helperLog()[0]).toBe(
      'store {"ServerURL":"https://index.docker.io/v1/","Username":"me","Secret":"pw"}',
    );
    expect(await getCredentials('docker.io', { env })).toMatchObject({
      username: 'me',
      password: 'pw',
      helper: 'test',
    });
  });

  it('goes through a credHelpers helper of auth.json without writing a secret', async () => {
    write(runtimeFile(), { credHelpers: { 'quay.io': 'test' } });
    await storeCredentials('quay.io', 'me', 'pw', { env });
    expect(readJson(runtimeFile())).toEqual({ credHelpers: { 'quay.io': 'test' } });
    expect(helperEntries()).toHaveLength(1);
    expect((await getCredentials('quay.io', { env }))?.password).toBe('pw');
  });

  it('stores an identity token in a helper under "<token>"', async () => {
    write(runtimeFile(), { credHelpers: { 'quay.io': 'test' } });
    await storeCredentials('quay.io', 'me', '', { env, identityToken: 'tok' });
    expect((await getCredentials('quay.io', { env }))?.identityToken).toBe('tok');
  });

  it('refuses an XDG_RUNTIME_DIR that does not exist', async () => {
    const missing = join(dir, 'nope');
    const err = await failure(
      storeCredentials('quay.io', 'u', 'p', { env: { ...env, XDG_RUNTIME_DIR: missing } }),
    );
    expect(err.message).toBe(`"${missing}" directory set by $XDG_RUNTIME_DIR does not exist`);
    expect(existsSync(missing)).toBe(false);
  });

  it('creates the per-user fallback directory 0700 without XDG_RUNTIME_DIR', async () => {
    const { XDG_RUNTIME_DIR: _, ...rest } = env;
    const stored = await storeCredentials('quay.io', 'u', 'p', { env: rest });
    const fallback = join(dir, `tsctr-run-${process.getuid!()}`);
    expect(stored.file).toBe(join(fallback, 'containers/auth.json'));
    expect(statSync(fallback).mode & 0o777).toBe(0o700);
  });

  it('writes through a symlinked file, which stays a link', async () => {
    const real = join(dir, 'real-auth.json');
    write(real, { auths: {} });
    mkdirSync(dirname(runtimeFile()), { recursive: true });
    symlinkSync(real, runtimeFile());
    await storeCredentials('quay.io', 'u', 'p', { env });
    expect(lstatSync(runtimeFile()).isSymbolicLink()).toBe(true);
    expect(readJson(real).auths['quay.io']).toEqual(auth('u', 'p'));
  });
});

describe('removeCredentials', () => {
  it('removes the key and the URL forms docker wrote, not namespaces below it', async () => {
    write(runtimeFile(), {
      auths: {
        'quay.io': auth('a', 'p'),
        'https://quay.io': auth('b', 'p'),
        'http://quay.io/v1/': auth('c', 'p'),
        'quay.io/team': auth('d', 'p'),
        'other.io': auth('e', 'p'),
      },
      extra: true,
    });
    expect(await removeCredentials('quay.io', { env })).toBe(true);
    expect(readJson(runtimeFile())).toEqual({
      auths: { 'quay.io/team': auth('d', 'p'), 'other.io': auth('e', 'p') },
      extra: true,
    });
    expect(await removeCredentials('quay.io', { env })).toBe(false);
    expect(await removeCredentials('quay.io/team', { env })).toBe(true);
    expect(Object.keys(readJson(runtimeFile()).auths)).toEqual(['other.io']);
  });

  it("removes Docker Hub under either tool's key", async () => {
    write(runtimeFile(), {
      auths: { 'docker.io': auth('a', 'p'), 'https://index.docker.io/v1/': auth('b', 'p') },
    });
    expect(await removeCredentials('docker.io', { env })).toBe(true);
    expect(readJson(runtimeFile()).auths).toEqual({});
  });

  it('says false when there is no file, and leaves other files alone', async () => {
    write(dockerFile(), { auths: { 'quay.io': auth('d', 'p') } });
    expect(await removeCredentials('quay.io', { env })).toBe(false);
    expect(existsSync(runtimeFile())).toBe(false);
    expect((await getCredentials('quay.io', { env }))?.file).toBe(dockerFile());
  });

  it('erases from the helper and drops the marker', async () => {
    helperHas('https://index.docker.io/v1/', 'me', 'pw');
    write(dockerFile(), { auths: { 'https://index.docker.io/v1/': {} }, credsStore: 'test' });
    expect(await removeCredentials('docker.io', { env, authfile: dockerFile() })).toBe(true);
    expect(helperEntries()).toEqual([]);
    expect(readJson(dockerFile())).toEqual({ auths: {}, credsStore: 'test' });
    expect(helperLog()).toEqual(['erase https://index.docker.io/v1/']);
    expect(await removeCredentials('docker.io', { env, authfile: dockerFile() })).toBe(false);
  });
});

describe('removeAllCredentials', () => {
  it('empties auths, erases helpers, keeps helper settings and other fields', async () => {
    helperHas('quay.io', 'q', 'p');
    helperHas('ghcr.io', 'g', 'p');
    write(dockerFile(), {
      auths: {
        'ghcr.io': {},
        'https://index.docker.io/v1/': auth('hub', 'p'),
        'x.io/ns': auth('n', 'p'),
      },
      credHelpers: { 'quay.io': 'test' },
      credsStore: 'test',
      psFormat: 'x',
    });
    const removed = await removeAllCredentials({ env, authfile: dockerFile() });
    expect(removed.sort()).toEqual([
      'ghcr.io',
      'https://index.docker.io/v1/',
      'quay.io',
      'x.io/ns',
    ]);
    expect(readJson(dockerFile())).toEqual({
      auths: {},
      credHelpers: { 'quay.io': 'test' },
      credsStore: 'test',
      psFormat: 'x',
    });
    expect(helperEntries()).toEqual([]);
  });

  it('removes from the login file only', async () => {
    write(runtimeFile(), { auths: { 'quay.io': auth('a', 'p') } });
    write(configFile(), { auths: { 'quay.io': auth('b', 'p') } });
    expect(await removeAllCredentials({ env })).toEqual(['quay.io']);
    expect((await getCredentials('quay.io', { env }))?.username).toBe('b');
    expect(
      await removeAllCredentials({ env: { ...env, XDG_RUNTIME_DIR: join(dir, 'none') } }),
    ).toEqual([]);
  });
});

describe('registries.conf credential-helpers', () => {
  const conf = () => join(config, 'containers/registries.conf');
  const helpers = (...names: string[]) =>
    write(conf(), `credential-helpers = ${JSON.stringify(names)}\n`);
  const setting = () => `the "credential-helpers" setting in ${conf()}`;

  it('asks the helpers and the files in the order listed', async () => {
    helpers('test', 'containers-auth.json');
    helperHas('quay.io', 'hu', 'hs');
    write(runtimeFile(), { auths: { 'quay.io': auth('fu', 'fs') } });
    expect(await getCredentials('quay.io', { env })).toEqual({
      username: 'hu',
      password: 'hs',
      source: `docker-credential-test (named by ${setting()})`,
      file: conf(),
      helper: 'test',
    });
    expect(helperLog()).toEqual(['get quay.io']);
    helpers('containers-auth.json', 'test');
    expect((await getCredentials('quay.io', { env }))?.username).toBe('fu');
    // Nothing in the helper: the files after it answer.
    helpers('test', 'containers-auth.json');
    expect((await getCredentials('ghcr.io', { env }))?.username).toBeUndefined();
    write(runtimeFile(), { auths: { 'ghcr.io': auth('gu', 'gs') } });
    expect((await getCredentials('ghcr.io', { env }))?.username).toBe('gu');
  });

  it('passes over a helper that fails when another source has credentials, else reports it', async () => {
    helpers('missing', 'containers-auth.json');
    write(runtimeFile(), { auths: { 'quay.io': auth('fu', 'fs') } });
    expect((await getCredentials('quay.io', { env }))?.username).toBe('fu');
    const err = await failure(getCredentials('ghcr.io', { env }));
    expect(err.message).toBe(
      'error getting credentials - err: exec: "docker-credential-missing": executable file not found in $PATH',
    );
    expect(err.hint).toBe(`install docker-credential-missing on $PATH, or remove ${setting()}`);
  });

  it('stores into the first that takes them: the files stay untouched', async () => {
    helpers('broken', 'test', 'containers-auth.json');
    expect(await storeCredentials('quay.io', 'u', 'p', { env })).toEqual({
      file: conf(),
      helper: 'test',
      location: 'credential helper docker-credential-test',
    });
    expect(helperLog()).toEqual(['store {"ServerURL":"quay.io","Username":"u","Secret":"p"}']);
    expect(existsSync(runtimeFile())).toBe(false);
    // A namespace cannot go into a helper; the file after it takes it.
    expect((await storeCredentials('quay.io/team', 'n', 'p', { env })).location).toBe(
      runtimeFile(),
    );
    helpers('broken');
    const err = await failure(storeCredentials('quay.io', 'u', 'p', { env }));
    expect(err.message).toBe(
      'error storing credentials - err: exit status 3, out: `keyring is locked`',
    );
    helpers('test');
    expect((await failure(storeCredentials('quay.io/team', 'n', 'p', { env }))).message).toBe(
      'namespaced key is not supported for credential helper test',
    );
    // Every source failed: each is named, with every hint.
    helpers('broken', 'missing');
    const both = await failure(storeCredentials('quay.io', 'u', 'p', { env }));
    expect(both.message).toBe(
      'errors storing credentials: docker-credential-broken: error storing credentials - err: exit status 3, out: `keyring is locked`; ' +
        'docker-credential-missing: error storing credentials - err: exec: "docker-credential-missing": executable file not found in $PATH',
    );
    expect(both.hint).toBe(
      `docker-credential-broken failed; it is named by ${setting()}; ` +
        `install docker-credential-missing on $PATH, or remove ${setting()}`,
    );
  });

  it('removes from every helper and file; logout --all lists what each helper holds', async () => {
    helpers('test', 'containers-auth.json');
    helperHas('quay.io', 'hu', 'hs');
    helperHas('ghcr.io', 'gu', 'gs');
    write(runtimeFile(), { auths: { 'quay.io': auth('fu', 'fs'), 'x.io': auth('x', 'p') } });
    expect(await removeCredentials('quay.io', { env })).toBe(true);
    expect(helperEntries()).toHaveLength(1);
    expect(readJson(runtimeFile())).toEqual({ auths: { 'x.io': auth('x', 'p') } });
    expect(await removeCredentials('quay.io', { env })).toBe(false);
    expect((await removeAllCredentials({ env })).sort()).toEqual(['ghcr.io', 'x.io']);
    expect(helperEntries()).toEqual([]);
    // A helper that is not installed holds nothing.
    helpers('missing', 'containers-auth.json');
    expect(await removeAllCredentials({ env })).toEqual([]);
  });

  it('uses only the file with --authfile or REGISTRY_AUTH_FILE', async () => {
    helpers('test');
    helperHas('quay.io', 'hu', 'hs');
    const file = join(dir, 'mine.json');
    write(file, { auths: { 'quay.io': auth('fu', 'fs') } });
    expect((await getCredentials('quay.io', { env, authfile: file }))?.username).toBe('fu');
    expect((await storeCredentials('ghcr.io', 'u', 'p', { env, authfile: file })).location).toBe(
      file,
    );
    const named = { ...env, REGISTRY_AUTH_FILE: file };
    expect((await getCredentials('quay.io', { env: named }))?.username).toBe('fu');
    expect(await removeCredentials('ghcr.io', { env: named })).toBe(true);
    expect(helperLog()).toEqual([]);
  });
});

describe('credentialKey', () => {
  it.each([
    ['quay.io', 'quay.io'],
    ['https://quay.io/v1/', 'quay.io'],
    ['http://localhost:5000', 'localhost:5000'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['quay.io/team/app/', 'quay.io/team/app'],
    ['localhost:5000/team', 'localhost:5000/team'],
  ])('%s → %s', (input, key) => {
    expect(credentialKey(input)).toBe(key);
  });

  it.each(['', 'quay.io/app@sha256:abc', 'quay.io/app:1', 'a b'])('refuses %j', (input) => {
    expect(() => credentialKey(input)).toThrow(TsctrError);
  });
});
