/**
 * `login` and `logout` as docker does them: credentials are checked against the registry
 * (an authenticated GET /v2/) before anything is stored; without -u and -p, stored credentials
 * are tried first and the user is prompted only when they fail. Where they are written is
 * podman's choice (credentials.ts: --authfile, REGISTRY_AUTH_FILE, or
 * $XDG_RUNTIME_DIR/containers/auth.json), because that is where podman and tsctr look first.
 *
 * Errors exit 1, as the docker CLI's do for everything but usage errors.
 */
import { TsctrError } from '../errors.ts';
import { RegistryHttpError } from './client.ts';
import {
  credentialKey,
  getCredentials,
  removeAllCredentials,
  removeCredentials,
  storeCredentials,
  type Credentials,
  type StoredCredentials,
} from './credentials.ts';
import type { Env } from './auth-file.ts';
import { endpointClient } from './endpoint.ts';

export const DEFAULT_SERVER = 'docker.io';

export interface Prompter {
  /** Asks for a user name; `fallback` is offered as the default (docker's "Username (x): "). */
  username(fallback: string | undefined): Promise<string>;
  /** Asks for the password without echo. */
  password(): Promise<string>;
}

export interface LoginOptions {
  username?: string;
  password?: string;
  authfile?: string;
  tlsVerify?: boolean;
  env?: Env;
  /** Undefined when stdin is not a terminal: then nothing missing can be asked for. */
  prompt?: Prompter;
  /** Progress lines for stderr ("Authenticating with existing credentials..."). */
  onNotice?: (line: string) => void;
}

export interface LoginResult {
  /** The credentials key: host[:port], or a namespace within one. */
  server: string;
  /** Undefined when stored credentials were used as they were (nothing written). */
  stored?: StoredCredentials;
}

function failed(message: string, hint?: string, cause?: unknown): TsctrError {
  return new TsctrError(message, { exitCode: 1, ...(hint ? { hint } : {}), cause });
}

/** Splits a credentials key into the host to ask and the namespace within it. */
function hostOf(key: string): { host: string; repository: string | undefined } {
  const slash = key.indexOf('/');
  return slash === -1
    ? { host: key, repository: undefined }
    : { host: key.slice(0, slash), repository: key.slice(slash + 1) };
}

async function verify(
  host: string,
  creds: { username: string; password: string; identityToken?: string },
  opts: LoginOptions,
): Promise<void> {
  const client = endpointClient(host, {
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.tlsVerify === false ? { tlsVerify: false } : {}),
    credentials: creds,
  });
  try {
    await client.ping();
  } catch (err) {
    if (err instanceof TsctrError) throw failed(err.message, err.hint, err);
    throw err;
  } finally {
    await client.close();
  }
}

export async function login(server: string | undefined, opts: LoginOptions): Promise<LoginResult> {
  const key = credentialKey(server || DEFAULT_SERVER);
  const { host, repository } = hostOf(key);
  const notice = opts.onNotice ?? (() => undefined);
  const lookup = {
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.authfile ? { authfile: opts.authfile } : {}),
  };

  let stored: Credentials | undefined;
  if (opts.username === undefined && opts.password === undefined) {
    stored = await getCredentials(host, { ...lookup, ...(repository ? { repository } : {}) });
    if (stored && stored.username && (stored.password || stored.identityToken)) {
      notice(`Authenticating with existing credentials... [Username: ${stored.username}]`);
      notice("To login with a different account, run 'tsctr logout' followed by 'tsctr login'");
      try {
        await verify(host, stored, opts);
        return { server: key };
      } catch (err) {
        notice(
          isUnauthorized((err as Error).cause)
            ? 'Stored credentials invalid or expired'
            : `Login did not succeed, error: ${(err as Error).message}`,
        );
      }
    }
  }

  let username = opts.username?.trim();
  let password = opts.password;
  if ((!username || !password) && !opts.prompt) {
    throw failed(
      'cannot perform an interactive login from a non-TTY device',
      'pass the user with -u and the password with --password-stdin',
    );
  }
  if (!username) {
    username = (await opts.prompt!.username(stored?.username || undefined)).trim();
    if (!username) username = stored?.username;
    if (!username) throw failed('username is required');
  }
  if (!password?.trim()) {
    password = await opts.prompt!.password();
    if (!password) throw failed('password is required');
  }

  await verify(host, { username, password }, opts);
  const saved = await storeCredentials(key, username, password, lookup).catch((err: unknown) => {
    if (err instanceof TsctrError) {
      throw failed(`error saving credentials: ${err.message}`, err.hint, err);
    }
    throw err;
  });
  return { server: key, stored: saved };
}

export interface LogoutResult {
  server: string;
  removed: boolean;
}

/** Removes the credentials `login` stored for `server`. */
export async function logout(
  server: string | undefined,
  opts: { authfile?: string; env?: Env } = {},
): Promise<LogoutResult> {
  const key = credentialKey(server || DEFAULT_SERVER);
  const removed = await removeCredentials(key, opts);
  if (removed) return { server: key, removed };
  // Credentials that some other file (docker's config.json) holds are still used by pulls and
  // pushes: saying "not logged in" would mislead, so say where they are.
  const { host, repository } = hostOf(key);
  const other = await getCredentials(host, { ...opts, ...(repository ? { repository } : {}) });
  if (other) {
    throw failed(
      `not logged in to ${key} with tsctr; the credentials in use come from ${other.source}`,
      other.helper
        ? `remove them with that helper, or with the tool that stored them (docker logout ${key})`
        : `remove them with the tool that stored them (docker logout ${key}), or pass --authfile ${other.file}`,
    );
  }
  return { server: key, removed: false };
}

/** `logout --all`: every entry of the login file. Returns the keys removed. */
export async function logoutAll(opts: { authfile?: string; env?: Env } = {}): Promise<string[]> {
  return removeAllCredentials(opts);
}

/** Whether an error is the registry refusing the credentials. */
function isUnauthorized(err: unknown): boolean {
  return err instanceof RegistryHttpError && err.status === 401;
}
