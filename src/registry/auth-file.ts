/**
 * The credential files docker and podman share: where they are, how they are read, and how an
 * entry is matched to a registry.
 *
 * Format (containers-auth.json(5), docker's config.json):
 *   {"auths": {"<key>": {"auth": base64("user:password"), "identitytoken": "…"}},
 *    "credHelpers": {"<registry>": "<helper suffix>"}, "credsStore": "<helper suffix>", …}
 * The legacy ~/.dockercfg is the bare "auths" map. Keys are matched as
 * containers/image pkg/docker/config does it: exact keys from the most specific namespace up to
 * the registry, then keys written as URLs (https://host, http://host/v1/) reduced to their host.
 * Writing is in auth-file-write.ts.
 */
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { TsctrError, fromSystemError } from '../errors.ts';

/** The key docker writes for Docker Hub (registry.IndexServer). */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
export const DOCKER_HUB = 'docker.io';

export type Env = NodeJS.ProcessEnv;

export interface AuthFileRef {
  path: string;
  /** ~/.dockercfg: the top level is the "auths" map, and is never written. */
  legacy: boolean;
}

/** A parsed file; `doc` is the whole top level, kept so a rewrite preserves unknown fields. */
export interface AuthDoc {
  path: string;
  legacy: boolean;
  doc: Record<string, unknown>;
  auths: Record<string, unknown>;
  credHelpers: Record<string, string>;
  credsStore: string | undefined;
}

export interface FileCredentials {
  username: string;
  password: string;
  identityToken?: string;
}

const FORMAT_HINT =
  'it must be JSON like {"auths": {"registry.example.com": {"auth": "<base64 of user:password>"}}}';

function home(env: Env): string {
  return env.HOME || homedir();
}

function uid(): number {
  return process.getuid?.() ?? 0;
}

/**
 * Podman's XDG_RUNTIME_DIR, or the per-user directory tsctr (like podman) uses without one.
 * `fallback` is set when the directory sits in a shared /tmp and must be checked for ownership.
 */
export function runtimeDir(env: Env): { dir: string; fallback: boolean } {
  if (env.XDG_RUNTIME_DIR) return { dir: env.XDG_RUNTIME_DIR, fallback: false };
  return { dir: join(env.TMPDIR || '/tmp', `tsctr-run-${uid()}`), fallback: true };
}

/** Docker's config directory: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigPath(env: Env = process.env): string {
  return join(env.DOCKER_CONFIG || join(home(env), '.docker'), 'config.json');
}

/**
 * The file `login` writes and `logout` edits by default: $REGISTRY_AUTH_FILE, else
 * $XDG_RUNTIME_DIR/containers/auth.json, as podman does.
 */
export function authFilePath(env: Env = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return resolve(env.REGISTRY_AUTH_FILE);
  return resolve(runtimeDir(env).dir, 'containers/auth.json');
}

/**
 * The files searched for credentials, in order. An explicit file (--authfile or
 * REGISTRY_AUTH_FILE) is the only one searched, as in podman.
 */
export async function authFileChain(env: Env, authfile?: string): Promise<AuthFileRef[]> {
  const explicit = authfile || env.REGISTRY_AUTH_FILE;
  if (explicit) return [{ path: resolve(explicit), legacy: false }];
  const chain: AuthFileRef[] = [];
  const rt = runtimeDir(env);
  // A /tmp directory that someone else created could hold a planted auth.json.
  if (!rt.fallback || (await ownedOrAbsent(rt.dir))) {
    chain.push({ path: resolve(rt.dir, 'containers/auth.json'), legacy: false });
  }
  const configHome = env.XDG_CONFIG_HOME || join(home(env), '.config');
  chain.push({ path: resolve(configHome, 'containers/auth.json'), legacy: false });
  chain.push({ path: resolve(dockerConfigPath(env)), legacy: false });
  chain.push({ path: resolve(home(env), '.dockercfg'), legacy: true });
  return chain;
}

/** Whether `dir` is the user's own, or does not exist (yet). */
export async function ownedOrAbsent(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).uid === uid();
  } catch {
    return true;
  }
}

/**
 * Whether `path` is docker's config.json rather than a containers auth.json: docker only finds
 * Docker Hub under its own key, so that is the key written there.
 */
export function isDockerFormat(path: string): boolean {
  return basename(path) === 'config.json';
}

/** Reads and checks a file; undefined when it does not exist. An empty file counts as `{}`. */
export async function readAuthFile(ref: AuthFileRef): Promise<AuthDoc | undefined> {
  let text: string;
  try {
    text = await readFile(ref.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fromSystemError('cannot read credentials', err, `check the permissions of ${ref.path}`);
  }
  return parseAuthFile(ref, text);
}

export function parseAuthFile(ref: AuthFileRef, text: string): AuthDoc {
  let parsed: unknown = {};
  if (text.trim() !== '') {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new TsctrError(`cannot parse ${ref.path}: ${(err as Error).message}`, {
        hint: `fix or remove the file; ${FORMAT_HINT}`,
        path: ref.path,
        cause: err,
      });
    }
  }
  if (!isObject(parsed)) throw notAnObject(ref.path, 'the file');
  if (ref.legacy) {
    return { ...ref, doc: parsed, auths: parsed, credHelpers: {}, credsStore: undefined };
  }
  const auths = parsed.auths ?? {};
  if (!isObject(auths)) throw notAnObject(ref.path, '"auths"');
  const helpers = parsed.credHelpers ?? {};
  if (!isObject(helpers) || !Object.values(helpers).every((v) => typeof v === 'string')) {
    throw new TsctrError(`${ref.path}: "credHelpers" must map registries to helper names`, {
      hint: 'for example {"credHelpers": {"registry.example.com": "pass"}}',
      path: ref.path,
    });
  }
  const store = parsed.credsStore;
  if (store !== undefined && typeof store !== 'string') {
    throw new TsctrError(`${ref.path}: "credsStore" must be a helper name`, {
      hint: 'for example {"credsStore": "pass"} runs docker-credential-pass',
      path: ref.path,
    });
  }
  return {
    ...ref,
    doc: parsed,
    auths,
    credHelpers: helpers as Record<string, string>,
    credsStore: store || undefined,
  };
}

function notAnObject(path: string, what: string): TsctrError {
  return new TsctrError(`${path}: ${what} is not a JSON object`, { hint: FORMAT_HINT, path });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** docker.io's other names, all reduced to the one containers/image compares with. */
function normaliseHost(host: string): string {
  return host === 'registry-1.docker.io' || host === DOCKER_HUB ? 'index.docker.io' : host;
}

/** Whether a key names a namespace in a registry (`host/team`) rather than a registry. */
export function isNamespacedKey(key: string): boolean {
  return !/^https?:\/\//.test(key) && key.includes('/');
}

/** A key as a host: URL forms lose scheme and path; a bare key keeps its namespace. */
export function normaliseAuthKey(key: string, legacy: boolean): string {
  const stripped = key.replace(/^https?:\/\//, '');
  const host = legacy || stripped !== key ? stripped.split('/')[0]! : stripped;
  return normaliseHost(host);
}

/** `registry/a/b/c`, `registry/a/b`, `registry/a`, `registry`: most specific first. */
export function lookupKeys(registry: string, repository?: string): string[] {
  const keys: string[] = [];
  let key = repository ? `${registry}/${repository}` : registry;
  for (;;) {
    keys.push(key);
    const slash = key.lastIndexOf('/');
    if (slash === -1) return keys;
    key = key.slice(0, slash);
  }
}

/** The auths entry for `registry` (and `repository`), with the key it was found under. */
export function findEntry(
  file: AuthDoc,
  registry: string,
  repository?: string,
): { key: string; creds: FileCredentials } | undefined {
  const keys = file.legacy ? [registry] : lookupKeys(registry, repository);
  for (const key of keys) {
    if (!Object.hasOwn(file.auths, key)) continue;
    const creds = decodeEntry(file.path, key, file.auths[key]);
    if (creds) return { key, creds };
  }
  const wanted = normaliseHost(registry);
  for (const [key, value] of Object.entries(file.auths)) {
    if (normaliseAuthKey(key, file.legacy) !== wanted) continue;
    const creds = decodeEntry(file.path, key, value);
    if (creds) return { key, creds };
  }
  return undefined;
}

/**
 * One entry's credentials. An entry with nothing in it is docker's marker for "stored in the
 * credential helper" and yields undefined; one that cannot be decoded is an error, since it was
 * the entry meant for this registry.
 */
export function decodeEntry(
  path: string,
  key: string,
  value: unknown,
): FileCredentials | undefined {
  const where = `"${key}" in ${path}`;
  const relogin = 'run login again for that registry, or fix or remove the entry';
  const fix = `${relogin}; ${FORMAT_HINT}`;
  if (!isObject(value)) {
    throw new TsctrError(`invalid credentials for ${where}: the entry is not a JSON object`, {
      hint: fix,
      path,
    });
  }
  const token = typeof value.identitytoken === 'string' ? value.identitytoken : '';
  const withToken = (c: FileCredentials): FileCredentials =>
    token ? { ...c, identityToken: token } : c;
  if (typeof value.auth === 'string' && value.auth !== '') {
    const bytes = decodeBase64(value.auth);
    if (!bytes) {
      throw new TsctrError(`invalid credentials for ${where}: "auth" is not valid base64`, {
        hint: fix,
        path,
      });
    }
    const text = bytes.toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) {
      // docker's message; podman skips such an entry, but then the registry refuses the pull
      // with no word about why.
      throw new TsctrError(`invalid auth configuration file ${path}`, {
        hint: `"auth" of "${key}" must be base64 of "username:password"; ${relogin}`,
        path,
      });
    }
    // Go helpers once padded passwords with NULs; docker and podman strip them.
    const password = text.slice(colon + 1).replace(/^\0+|\0+$/g, '');
    return withToken({ username: text.slice(0, colon), password });
  }
  // Entries written by hand or by other tools may spell the credentials out.
  const username = typeof value.username === 'string' ? value.username : '';
  const password = typeof value.password === 'string' ? value.password : '';
  if (username || password || token) return withToken({ username, password });
  return undefined;
}

/** Go's base64.StdEncoding: padded standard alphabet (CR and LF ignored); Node's is lax. */
function decodeBase64(s: string): Buffer | undefined {
  const t = s.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

export function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

export interface HelperRef {
  /** The helper's suffix: `pass` runs docker-credential-pass. */
  helper: string;
  /** What the helper is asked for: the registry, or the key its setting names. */
  serverUrl: string;
  kind: 'credHelpers' | 'credsStore';
  /** For messages: `the "credHelpers" setting in /path/config.json`. */
  configured: string;
}

/** The helper that holds `registry`'s credentials according to this file, if any. */
export function helperFor(file: AuthDoc, registry: string): HelperRef | undefined {
  if (file.legacy) return undefined;
  // docker looks Docker Hub up under its own key; podman under docker.io.
  const names =
    registry === DOCKER_HUB ? [DOCKER_HUB, DOCKER_HUB_KEY, 'index.docker.io'] : [registry];
  for (const name of names) {
    const helper = Object.hasOwn(file.credHelpers, name) ? file.credHelpers[name] : undefined;
    if (helper) {
      return {
        helper,
        serverUrl: name,
        kind: 'credHelpers',
        configured: `the "credHelpers" setting in ${file.path}`,
      };
    }
  }
  if (file.credsStore) {
    return {
      helper: file.credsStore,
      serverUrl: storageKey(registry, file.path),
      kind: 'credsStore',
      configured: `the "credsStore" setting in ${file.path}`,
    };
  }
  return undefined;
}

/** The key written for `key` in `path`: docker's own for Docker Hub in its config.json. */
export function storageKey(key: string, path: string): string {
  return key === DOCKER_HUB && isDockerFormat(path) ? DOCKER_HUB_KEY : key;
}
