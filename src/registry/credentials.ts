/**
 * Registry credentials as docker and podman keep them: looked up in podman's order of files
 * (src/registry/auth-file.ts), through a credential helper when a file names one
 * (src/registry/credential-helper.ts), and written where `podman login` writes them.
 *
 * Within one file: a `credHelpers` entry for the registry decides alone; otherwise the `auths`
 * entries (most specific namespace first, then URL-form keys); otherwise `credsStore`. Inline
 * entries come before `credsStore` so that a file podman wrote into docker's config.json still
 * works (podman ignores credsStore), and no helper is run when the file already has the answer.
 * The first file that yields credentials wins.
 *
 * Around the files, registries.conf's `credential-helpers` (containers-registries.conf(5)), as
 * containers/image reads it: a list of docker-credential-NAME helpers and the reserved name
 * "containers-auth.json" for the files, by default the files alone. Lookup takes the first that
 * has credentials, login stores into the first that takes them, logout removes from all. With
 * --authfile only that file is used.
 */
import { resolve } from 'node:path';
import { TsctrError } from '../errors.ts';
import {
  DOCKER_HUB,
  authFileChain,
  authFilePath,
  encodeAuth,
  findEntry,
  helperFor,
  isDockerFormat,
  normaliseAuthKey,
  readAuthFile,
  storageKey,
  isNamespacedKey,
  type AuthDoc,
  type Env,
  type HelperRef,
} from './auth-file.ts';
import { editAuthFile, prepareWrite } from './auth-file-write.ts';
import {
  HELPER_PREFIX,
  helperErase,
  helperGet,
  helperList,
  isHelperMissing,
  helperStore,
} from './credential-helper.ts';
import { AUTH_FILES_HELPER, loadRegistriesConfig } from './registries-conf.ts';

export { authFilePath, dockerConfigPath } from './auth-file.ts';

export interface Credentials {
  /** Empty when only an identity token is known (a helper's "<token>" entry). */
  username: string;
  password: string;
  /** An OAuth2 refresh token to trade for access tokens instead of the password. */
  identityToken?: string;
  /** Where they came from, for messages: the file, or the helper and the file naming it. */
  source: string;
  /** The file that held them or named the helper. */
  file: string;
  /** The helper's suffix (`pass` for docker-credential-pass), when a helper held them. */
  helper?: string;
}

export interface CredentialOptions {
  env?: Env;
  /** --authfile: the only file read and the file written. Overrides REGISTRY_AUTH_FILE. */
  authfile?: string;
  /** registries.conf's `credential-helpers`; read from the configuration when not given. */
  helpers?: HelperChain;
}

export interface HelperChain {
  names: string[];
  /** The file that set them, for messages; undefined for the default. */
  file?: string;
}

function helperChain(opts: CredentialOptions, env: Env): HelperChain {
  // The file the user named (--authfile, REGISTRY_AUTH_FILE) is the only place used.
  if (opts.authfile || env.REGISTRY_AUTH_FILE) return { names: [AUTH_FILES_HELPER] };
  if (opts.helpers) return opts.helpers;
  const conf = loadRegistriesConfig(env);
  return { names: conf.credentialHelpers, file: conf.credentialHelpersFile };
}

function settingIn(chain: HelperChain): string {
  return `the "credential-helpers" setting in ${chain.file ?? 'registries.conf'}`;
}

interface SourceError {
  /** docker-credential-NAME, or "auth files". */
  source: string;
  err: unknown;
}

const sourceName = (name: string) =>
  name === AUTH_FILES_HELPER ? 'auth files' : `${HELPER_PREFIX}${name}`;

/** Every failure, when no source succeeded: one as it is, several in one message. */
function failures(errors: SourceError[], doing: string): unknown {
  if (errors.length === 1) return errors[0]!.err;
  const parts = errors.map(
    ({ source, err }) => `${source}: ${err instanceof Error ? err.message : String(err)}`,
  );
  const hints = errors.flatMap(({ err }) =>
    err instanceof TsctrError && err.hint ? [err.hint] : [],
  );
  return new TsctrError(`errors ${doing}: ${parts.join('; ')}`, {
    hint: hints.length ? hints.join('; ') : undefined,
  });
}

export interface LookupOptions extends CredentialOptions {
  /** The repository path (`team/app`) for namespaced entries (`registry/team/app`, `registry/team`). */
  repository?: string;
}

export interface StoreOptions extends CredentialOptions {
  /** An identity token the registry returned at login; it is stored in place of the password. */
  identityToken?: string;
}

export interface StoredCredentials {
  /** The file written; with a helper, the file that names it (and may hold docker's marker). */
  file: string;
  /** The helper's suffix when the secret went to a helper. */
  helper?: string;
  /** For messages: the file, or "credential helper docker-credential-<name>". */
  location: string;
}

/**
 * A login or logout argument as a credentials key: `host[:port]` or a namespace within one
 * (`host/team/app`). URLs become their host (docker and podman accept `https://host/v1/`), and
 * Docker Hub's other names become `docker.io`.
 */
export function credentialKey(input: string): string {
  let key = input.trim();
  if (/^https?:\/\//.test(key)) {
    key = key.replace(/^https?:\/\//, '').split('/')[0]!;
  }
  key = key.replace(/\/+$/, '');
  const slash = key.indexOf('/');
  const host = slash === -1 ? key : key.slice(0, slash);
  const rest = slash === -1 ? '' : key.slice(slash);
  if (host === '' || /\s/.test(key)) {
    throw new TsctrError(`invalid registry "${input}"`, {
      hint: 'give a registry host, for example registry.example.com or localhost:5000',
    });
  }
  if (key.includes('@') || rest.includes(':')) {
    throw new TsctrError(`invalid registry "${input}": it names a tag or digest`, {
      hint: 'credentials are kept per registry or repository, never per tag or digest',
    });
  }
  const canonical =
    host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
  return canonical + rest;
}

/**
 * The credentials to use for `registry` (host[:port], `docker.io` for Docker Hub), or undefined
 * when no file or helper has any. With `repository`, namespaced entries are preferred.
 */
export async function getCredentials(
  registry: string,
  opts: LookupOptions = {},
): Promise<Credentials | undefined> {
  const env = opts.env ?? process.env;
  const host = credentialKey(registry);
  if (host.includes('/')) {
    throw new TsctrError(`invalid registry "${registry}"`, {
      hint: 'pass the repository path separately as `repository`',
    });
  }
  const repository = opts.repository?.replace(/^\/+|\/+$/g, '') || undefined;
  const chain = helperChain(opts, env);
  const errors: SourceError[] = [];
  for (const name of chain.names) {
    try {
      const found =
        name === AUTH_FILES_HELPER
          ? await fromAuthFiles(host, repository, env, opts.authfile)
          : await fromListedHelper(name, host, chain, env);
      if (found) return found;
    } catch (err) {
      errors.push({ source: sourceName(name), err });
    }
  }
  if (errors.length) throw failures(errors, `looking up credentials for ${host}`);
  return undefined;
}

async function fromAuthFiles(
  host: string,
  repository: string | undefined,
  env: Env,
  authfile: string | undefined,
): Promise<Credentials | undefined> {
  for (const ref of await authFileChain(env, authfile)) {
    const file = await readAuthFile(ref);
    if (!file) continue;
    const found = await lookupInFile(file, host, repository, env);
    if (found) return found;
  }
  return undefined;
}

/** A helper registries.conf lists: asked for the registry (helpers know no namespaces). */
async function fromListedHelper(
  name: string,
  host: string,
  chain: HelperChain,
  env: Env,
): Promise<Credentials | undefined> {
  const configuredIn = settingIn(chain);
  const creds = await helperGet(name, host, { env, configuredIn });
  if (!creds) return undefined;
  const source = `${HELPER_PREFIX}${name} (named by ${configuredIn})`;
  return { ...creds, source, file: chain.file ?? '', helper: name };
}

async function lookupInFile(
  file: AuthDoc,
  registry: string,
  repository: string | undefined,
  env: Env,
): Promise<Credentials | undefined> {
  const viaHelper = async (h: HelperRef) => {
    const creds = await helperGet(h.helper, h.serverUrl, { env, configuredIn: h.configured });
    if (!creds) return undefined;
    const source = `${HELPER_PREFIX}${h.helper} (named by ${h.configured})`;
    return { ...creds, source, file: file.path, helper: h.helper };
  };
  const helper = helperFor(file, registry);
  // credHelpers names the helper for this registry and nothing else is consulted in the file,
  // as in docker and containers/image. Helpers know registries, never namespaces.
  if (helper?.kind === 'credHelpers') return viaHelper(helper);
  const entry = findEntry(file, registry, repository);
  if (entry) return { ...entry.creds, source: file.path, file: file.path };
  if (helper) return viaHelper(helper);
  return undefined;
}

/** The file `login` writes, and `logout` edits: --authfile, REGISTRY_AUTH_FILE, or the default. */
function targetFile(opts: CredentialOptions, env: Env): string {
  return opts.authfile ? resolve(opts.authfile) : authFilePath(env);
}

/**
 * Records credentials for `registry` (a credentialKey: host[:port], or a namespace in it).
 * When the file names a helper for the registry (credHelpers or credsStore), the secret goes to
 * the helper and the file only keeps docker's empty marker entry, as docker does.
 */
export async function storeCredentials(
  registry: string,
  username: string,
  password: string,
  opts: StoreOptions = {},
): Promise<StoredCredentials> {
  const env = opts.env ?? process.env;
  const key = credentialKey(registry);
  const chain = helperChain(opts, env);
  const errors: SourceError[] = [];
  for (const name of chain.names) {
    try {
      if (name === AUTH_FILES_HELPER) return await storeInAuthFile(key, username, password, opts);
      if (key.includes('/')) {
        throw new TsctrError(`namespaced key is not supported for credential helper ${name}`, {
          hint: `log in to the registry itself, or put "${AUTH_FILES_HELPER}" first in ${settingIn(chain)}`,
        });
      }
      const creds = { username, password, identityToken: opts.identityToken };
      await helperStore(name, key, creds, { env, configuredIn: settingIn(chain) });
      return {
        file: chain.file ?? '',
        helper: name,
        location: `credential helper ${HELPER_PREFIX}${name}`,
      };
    } catch (err) {
      errors.push({ source: sourceName(name), err });
    }
  }
  throw failures(errors, 'storing credentials');
}

async function storeInAuthFile(
  key: string,
  username: string,
  password: string,
  opts: StoreOptions,
): Promise<StoredCredentials> {
  const env = opts.env ?? process.env;
  const path = targetFile(opts, env);
  const namespaced = key.includes('/');
  await prepareWrite(path, env);
  const fileKey = storageKey(key, path);
  return editAuthFile<StoredCredentials>(path, async (file) => {
    // A helper cannot hold a namespace; such an entry goes into the file, as podman does.
    const helper = namespaced ? undefined : helperFor(file, key);
    if (helper) {
      await helperStore(
        helper.helper,
        helper.serverUrl,
        { username, password, identityToken: opts.identityToken },
        { env, configuredIn: helper.configured },
      );
      const stale = Object.hasOwn(file.auths, fileKey);
      if (isDockerFormat(path)) file.auths[fileKey] = {};
      else delete file.auths[fileKey];
      return {
        changed: stale || isDockerFormat(path),
        result: {
          file: path,
          helper: helper.helper,
          location: `credential helper ${HELPER_PREFIX}${helper.helper}`,
        },
      };
    }
    // With an identity token docker keeps the username and drops the password.
    const entry: Record<string, string> = opts.identityToken
      ? { auth: encodeAuth(username, ''), identitytoken: opts.identityToken }
      : { auth: encodeAuth(username, password) };
    file.auths[fileKey] = entry;
    return { changed: true, result: { file: path, location: path } };
  });
}

/**
 * Removes `registry`'s credentials from the login file (and its helper): the exact key, and
 * for a registry the keys docker may have written for it (https://host, http://host/v1/,
 * Docker Hub's URL). Namespaced entries below the registry stay. Returns whether anything was
 * removed; when not, getCredentials tells whether some other file still has credentials.
 */
export async function removeCredentials(
  registry: string,
  opts: CredentialOptions = {},
): Promise<boolean> {
  const env = opts.env ?? process.env;
  const key = credentialKey(registry);
  const chain = helperChain(opts, env);
  let removed = false;
  const errors: SourceError[] = [];
  for (const name of chain.names) {
    try {
      if (name === AUTH_FILES_HELPER) {
        if (await removeFromAuthFile(key, opts)) removed = true;
      } else if (!key.includes('/')) {
        if (await helperErase(name, key, { env, configuredIn: settingIn(chain) })) removed = true;
      }
    } catch (err) {
      errors.push({ source: sourceName(name), err });
    }
  }
  if (errors.length) throw failures(errors, `removing credentials for ${key}`);
  return removed;
}

async function removeFromAuthFile(key: string, opts: CredentialOptions): Promise<boolean> {
  const env = opts.env ?? process.env;
  const path = targetFile(opts, env);
  const existing = await readAuthFile({ path, legacy: false });
  if (!existing) return false;
  const namespaced = key.includes('/');
  return editAuthFile(path, async (file) => {
    let removed = false;
    const helper = namespaced ? undefined : helperFor(file, key);
    if (helper) {
      const opt = { env, configuredIn: helper.configured };
      removed = await helperErase(helper.helper, helper.serverUrl, opt);
    }
    const wanted = namespaced ? key : normaliseAuthKey(key, false);
    let changed = false;
    for (const k of Object.keys(file.auths)) {
      const match =
        k === key || k === storageKey(key, path) || normaliseAuthKey(k, false) === wanted;
      if (!match) continue;
      // An empty entry is only docker's marker for a helper; it held no credentials itself.
      if (!isEmptyEntry(file.auths[k])) removed = true;
      delete file.auths[k];
      changed = true;
    }
    return { changed, result: removed };
  });
}

function isEmptyEntry(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

/**
 * `logout --all`: empties "auths" of the login file and erases from helpers what the file
 * says they hold (every credHelpers registry, every credsStore entry). The helper settings
 * themselves are configuration, and stay. Returns the keys that were removed.
 */
export async function removeAllCredentials(opts: CredentialOptions = {}): Promise<string[]> {
  const env = opts.env ?? process.env;
  const chain = helperChain(opts, env);
  const removed = new Set<string>();
  const errors: SourceError[] = [];
  for (const name of chain.names) {
    try {
      if (name === AUTH_FILES_HELPER) {
        for (const k of await removeAllFromAuthFile(opts)) removed.add(k);
        continue;
      }
      const configuredIn = settingIn(chain);
      let urls: string[];
      try {
        urls = await helperList(name, { env, configuredIn });
      } catch (err) {
        // A helper that is not installed holds nothing, as containers/image sees it.
        if (isHelperMissing(err)) continue;
        throw err;
      }
      for (const url of urls) {
        if (await helperErase(name, url, { env, configuredIn })) removed.add(url);
      }
    } catch (err) {
      errors.push({ source: sourceName(name), err });
    }
  }
  if (errors.length) throw failures(errors, 'removing all credentials');
  return [...removed];
}

async function removeAllFromAuthFile(opts: CredentialOptions): Promise<string[]> {
  const env = opts.env ?? process.env;
  const path = targetFile(opts, env);
  const existing = await readAuthFile({ path, legacy: false });
  if (!existing) return [];
  return editAuthFile(path, async (file) => {
    const removed = new Set<string>();
    for (const [registry, helper] of Object.entries(file.credHelpers)) {
      const opt = { env, configuredIn: `the "credHelpers" setting in ${path}` };
      if (await helperErase(helper, registry, opt)) removed.add(registry);
    }
    for (const [k, v] of Object.entries(file.auths)) {
      if (file.credsStore && !isNamespacedKey(k) && !Object.hasOwn(file.credHelpers, k)) {
        const opt = { env, configuredIn: `the "credsStore" setting in ${path}` };
        if (await helperErase(file.credsStore, k, opt)) removed.add(k);
      }
      if (!isEmptyEntry(v)) removed.add(k);
    }
    const changed = Object.keys(file.auths).length > 0;
    file.auths = {};
    return { changed, result: [...removed] };
  });
}
