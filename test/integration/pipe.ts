/**
 * Binary stdin and stdout for the CLI under test, which harness.ts's string-based `tsctr()`
 * cannot carry: one command's stdout piped into another's stdin (`save | load`), a file as
 * stdin (`load < file`), and other programs (podman) run as the same test user.
 */
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { BIN, type Result, type Sandbox } from './harness.ts';

/** argv that runs `file args` as the sandbox's user (setpriv when the tests run as root). */
export function asUser(sb: Sandbox, file: string, args: readonly string[]): [string, string[]] {
  if (process.getuid!() !== 0) return [file, [...args]];
  return [
    'setpriv',
    [`--reuid=${sb.user.uid}`, `--regid=${sb.user.gid}`, '--init-groups', '--', file, ...args],
  ];
}

function collect(
  child: ReturnType<typeof spawn>,
  timeout: number,
): Promise<Result & { stdoutBytes: Buffer }> {
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr, stdoutBytes });
    });
  });
}

/** Runs `tsctr a… | tsctr b…`, each in its sandbox (the same one or two); resolves with both. */
export async function tsctrPipe(
  from: [Sandbox, readonly string[]],
  to: [Sandbox, readonly string[]],
  timeout = 120_000,
): Promise<[Result, Result]> {
  const [f1, a1] = asUser(from[0], BIN, from[1]);
  const [f2, a2] = asUser(to[0], BIN, to[1]);
  const first = spawn(f1, a1, { env: from[0].env, stdio: ['ignore', 'pipe', 'pipe'] });
  const second = spawn(f2, a2, { env: to[0].env, stdio: [first.stdout!, 'pipe', 'pipe'] });
  // The second process holds its own copy of the pipe; ours would keep it open past `first`.
  first.stdout!.destroy();
  const [r1, r2] = await Promise.all([collect(first, timeout), collect(second, timeout)]);
  return [r1, r2];
}

/** Runs `tsctr args… < file`. */
export function tsctrFromFile(
  sb: Sandbox,
  args: readonly string[],
  file: string,
  timeout = 120_000,
): Promise<Result> {
  const [f, a] = asUser(sb, BIN, args);
  const fd = openSync(file, 'r');
  const stdio: StdioOptions = [fd, 'pipe', 'pipe'];
  try {
    return collect(spawn(f, a, { env: sb.env, stdio }), timeout);
  } finally {
    closeSync(fd);
  }
}

/** Runs any program as the sandbox's user, with the sandbox's environment. */
export function runAsUser(
  sb: Sandbox,
  file: string,
  args: readonly string[],
  timeout = 120_000,
): Result {
  const [f, a] = asUser(sb, file, args);
  const r = spawnSync(f, a, { env: sb.env, encoding: 'utf8', timeout });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
