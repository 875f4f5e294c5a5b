/**
 * Talks to docker credential helpers (`docker-credential-<name>`), the protocol of
 * github.com/docker/docker-credential-helpers that docker and podman both speak:
 *
 *   get    stdin: the server URL        stdout: {"ServerURL","Username","Secret"}
 *   store  stdin: {"ServerURL","Username","Secret"}
 *   erase  stdin: the server URL
 *   list   stdin: nothing                stdout: {"<server URL>": "<username>", …}
 *
 * A helper reports failure by exiting non-zero with the message on stdout. The message
 * "credentials not found in native keychain" means "nothing stored", which is not an error.
 * Username "<token>" marks the Secret as an identity token (an OAuth2 refresh token).
 */
import { TsctrError } from '../errors.ts';
import { isProgramMissing, runProgram } from '../host/exec.ts';

export const HELPER_PREFIX = 'docker-credential-';
export const TOKEN_USERNAME = '<token>';
const NOT_FOUND = 'credentials not found in native keychain';
// The helper library's own messages for a malformed request; docker reports them as they are.
const MISSING_SERVER_URL = 'no credentials server URL';
const MISSING_USERNAME = 'no credentials username';

/** A helper can ask for a passphrase (pass, secretservice); 30 s leaves time for that, not more. */
export const HELPER_TIMEOUT_MS = 30_000;

export interface HelperCredentials {
  username: string;
  password: string;
  identityToken?: string;
}

export interface HelperOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** The setting that names the helper (`the "credsStore" setting in /path`), for hints. */
  configuredIn?: string;
}

interface HelperResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** `get`: the credentials the helper holds for `serverUrl`, or undefined when it holds none. */
export async function helperGet(
  helper: string,
  serverUrl: string,
  opts: HelperOptions = {},
): Promise<HelperCredentials | undefined> {
  const r = await runHelper(helper, 'get', serverUrl, opts);
  if (r.code !== 0) {
    const out = r.stdout.trim();
    if (out === NOT_FOUND) return undefined;
    throw helperFailed(helper, 'getting', r, opts);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (err) {
    throw new TsctrError(`${HELPER_PREFIX}${helper} get printed invalid JSON`, {
      hint: `expected {"ServerURL": …, "Username": …, "Secret": …} on stdout; check the helper`,
      cause: err,
    });
  }
  const o = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  const username = typeof o.Username === 'string' ? o.Username : '';
  const secret = typeof o.Secret === 'string' ? o.Secret : '';
  if (username === '' && secret === '') return undefined;
  if (username === TOKEN_USERNAME) return { username: '', password: '', identityToken: secret };
  return { username, password: secret };
}

/** `store`: an identity token is stored under the username "<token>", as docker does. */
export async function helperStore(
  helper: string,
  serverUrl: string,
  creds: HelperCredentials,
  opts: HelperOptions = {},
): Promise<void> {
  const body = creds.identityToken
    ? { ServerURL: serverUrl, Username: TOKEN_USERNAME, Secret: creds.identityToken }
    : { ServerURL: serverUrl, Username: creds.username, Secret: creds.password };
  const r = await runHelper(helper, 'store', `${JSON.stringify(body)}\n`, opts);
  if (r.code !== 0) throw helperFailed(helper, 'storing', r, opts);
}

/** `erase`: true when the helper removed something, false when it held nothing for `serverUrl`. */
export async function helperErase(
  helper: string,
  serverUrl: string,
  opts: HelperOptions = {},
): Promise<boolean> {
  const r = await runHelper(helper, 'erase', serverUrl, opts);
  if (r.code === 0) return true;
  if (r.stdout.trim() === NOT_FOUND) return false;
  throw helperFailed(helper, 'erasing', r, opts);
}

/** Whether `err` says the helper program is not installed (not found on $PATH). */
export const isHelperMissing = isProgramMissing;

/** `list`: the server URLs the helper holds credentials for. */
export async function helperList(helper: string, opts: HelperOptions = {}): Promise<string[]> {
  const r = await runHelper(helper, 'list', '', opts);
  if (r.code !== 0) throw helperFailed(helper, 'listing', r, opts);
  try {
    const parsed = JSON.parse(r.stdout) as unknown;
    return parsed && typeof parsed === 'object' ? Object.keys(parsed) : [];
  } catch (err) {
    throw new TsctrError(`${HELPER_PREFIX}${helper} list printed invalid JSON`, {
      hint: 'expected {"<server URL>": "<username>", …} on stdout; check the helper',
      cause: err,
    });
  }
}

function helperFailed(
  helper: string,
  doing: string,
  r: HelperResult,
  opts: HelperOptions,
): TsctrError {
  const out = r.stdout.trim() || r.stderr.trim();
  if (out === MISSING_SERVER_URL || out === MISSING_USERNAME) {
    return new TsctrError(out, { hint: `${HELPER_PREFIX}${helper} refused the request` });
  }
  // Go's exec wording, which is what docker prints for the same failure.
  const status = r.signal ? `signal: ${r.signal}` : `exit status ${r.code}`;
  return new TsctrError(`error ${doing} credentials - err: ${status}, out: \`${out}\``, {
    hint: `${HELPER_PREFIX}${helper} failed${namedBy(opts)}`,
  });
}

function namedBy(opts: HelperOptions): string {
  return opts.configuredIn ? `; it is named by ${opts.configuredIn}` : '';
}

async function runHelper(
  helper: string,
  action: 'get' | 'store' | 'erase' | 'list',
  input: string,
  opts: HelperOptions,
): Promise<HelperResult> {
  const program = HELPER_PREFIX + helper;
  const timeoutMs = opts.timeoutMs ?? HELPER_TIMEOUT_MS;
  const r = await runProgram(
    {
      file: program,
      args: [action],
      purpose: `${actionDoing(action)} credentials`,
      // With `env` given, the program is looked up in env.PATH, which is what the caller means.
      env: opts.env,
      hint: opts.configuredIn && `it is named by ${opts.configuredIn}`,
    },
    {
      input,
      timeoutMs,
      // The protocol reports through the exit status, with the message on stdout.
      statusIsResult: true,
      explain: (f) => {
        if (f.kind === 'missing') {
          // Go's exec wording, which is what docker prints.
          return new TsctrError(
            `error ${actionDoing(action)} credentials - err: exec: "${program}": executable file not found in $PATH`,
            {
              hint: opts.configuredIn
                ? `install ${program} on $PATH, or remove ${opts.configuredIn}`
                : `install ${program} on $PATH`,
              cause: f,
            },
          );
        }
        if (f.kind === 'timeout') {
          return new TsctrError(
            `${program} ${action} did not finish within ${timeoutMs / 1000} s`,
            {
              hint: `the helper may be waiting for a passphrase or a locked keyring${namedBy(opts)}`,
              cause: f,
            },
          );
        }
        return undefined;
      },
    },
  );
  return { code: r.exitCode ?? null, signal: r.signal ?? null, stdout: r.stdout, stderr: r.stderr };
}

function actionDoing(action: 'get' | 'store' | 'erase' | 'list'): string {
  return { get: 'getting', store: 'storing', erase: 'erasing', list: 'listing' }[action];
}
