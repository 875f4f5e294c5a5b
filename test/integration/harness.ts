/**
 * Runs the built CLI (bin/tsctr) as an unprivileged user, each test file in its own storage and
 * runtime roots. As root (CI) it switches to TSCTR_TEST_USER (default tsctr-test, created with
 * its /etc/subuid and /etc/subgid ranges by scripts/setup.sh); as any other user it runs as
 * that user. A missing precondition fails loudly: these tests never skip.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The CLI under test: bin/tsctr (the checkout's dist/), or the single binary when TSCTR_BIN
 * names it (CI runs the suite against both).
 */
export const BIN = process.env.TSCTR_BIN
  ? resolve(process.env.TSCTR_BIN)
  : resolve(import.meta.dirname, '../../bin/tsctr');
export const IS_BINARY = process.env.TSCTR_BIN !== undefined;

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function lookupUser(name: string): TestUser {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) {
    throw new Error(`test user ${name} does not exist: run scripts/setup.sh as root first`);
  }
  const f = line.split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

export function testUser(): TestUser {
  if (process.getuid!() !== 0) {
    const u = userInfo();
    return { name: u.username, uid: u.uid, gid: u.gid, home: u.homedir };
  }
  const user = lookupUser(process.env.TSCTR_TEST_USER ?? 'tsctr-test');
  const subuid = readFileSync('/etc/subuid', 'utf8');
  if (
    !subuid.split('\n').some((l) => l.startsWith(`${user.name}:`) || l.startsWith(`${user.uid}:`))
  ) {
    throw new Error(`${user.name} has no /etc/subuid range: run scripts/setup.sh as root first`);
  }
  return user;
}

export interface Sandbox {
  user: TestUser;
  dir: string;
  root: string;
  runroot: string;
  /** The user's HOME for this sandbox (~/.docker, ~/.config/containers live here). */
  home: string;
  /** $XDG_CONFIG_HOME: tsctr/config.json, containers/registries.conf, containers/auth.json. */
  configHome: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** Fresh roots owned by the test user. */
export function sandbox(): Sandbox {
  const user = testUser();
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-it-'));
  const root = join(dir, 'root');
  const runroot = join(dir, 'run');
  const xdg = join(dir, 'xdg');
  const home = join(dir, 'home');
  const configHome = join(home, '.config');
  for (const d of [dir, root, runroot, xdg, home, configHome]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (process.getuid!() === 0) chownSync(d, user.uid, user.gid);
  }
  const env: Record<string, string> = {
    HOME: home,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    XDG_RUNTIME_DIR: xdg,
    XDG_CONFIG_HOME: configHome,
    TSCTR_ROOT: root,
    TSCTR_RUNROOT: runroot,
  };
  return {
    user,
    dir,
    root,
    runroot,
    home,
    configHome,
    env,
    cleanup() {
      // The roots hold files owned by the user's subordinate ids; as root plain rm works. A pull
      // leaves a detached `sync` that adds synced/ markers after it exits, hence the retries.
      if (process.getuid!() === 0)
        rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      else spawnSync('podman', ['unshare', 'rm', '-rf', dir]);
    },
  };
}

function command(sb: Sandbox, args: string[], file = BIN): [string, string[]] {
  if (process.getuid!() !== 0) return [file, args];
  return [
    'setpriv',
    [`--reuid=${sb.user.uid}`, `--regid=${sb.user.gid}`, '--init-groups', '--', file, ...args],
  ];
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tsctr(
  sb: Sandbox,
  args: string[],
  opts: { input?: string; timeout?: number } = {},
): Result {
  return runAs(sb, BIN, args, opts);
}

/** Runs a program as the test user with the sandbox's environment: the CLI, or a shell. */
export function runAs(
  sb: Sandbox,
  file: string,
  args: string[],
  opts: { input?: string; timeout?: number } = {},
): Result {
  const [cmd, argv] = command(sb, args, file);
  const r: SpawnSyncReturns<string> = spawnSync(cmd, argv, {
    env: sb.env,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: opts.timeout ?? 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the CLI without blocking this process: needed when a server the CLI talks to (the test
 * token server) lives in the test process itself.
 */
export function tsctrAwait(sb: Sandbox, args: string[]): Promise<Result> {
  const [file, argv] = command(sb, args);
  const child = spawn(file, argv, { env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Starts the CLI without waiting, for signal tests. */
export function tsctrAsync(sb: Sandbox, args: string[]) {
  const [file, argv] = command(sb, args);
  return spawn(file, argv, { env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Processes of the test user whose command line mentions `needle`. */
export function userProcesses(user: TestUser, needle: string): string[] {
  const r = spawnSync('ps', ['-u', String(user.uid), '-o', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(needle));
}
