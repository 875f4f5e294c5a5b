/**
 * Runs the CLI under strace -f as the test user (strace -u, which keeps newuidmap's setuid bit
 * working) and tells, per process, which program it runs: for tests about which process does
 * what (who syncs, how many writers a pull starts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BIN, type Sandbox } from './harness.ts';

export interface Traced {
  /** Program names of the successful execs, in order. */
  execs: string[];
  /** For each traced call, the program names of the processes that made it. */
  callers(syscall: string): Set<string>;
}

/** `wrap` is a command line to run strace under (it must end by executing its arguments). */
export function traceTsctr(
  sb: Sandbox,
  args: string[],
  syscalls: string[],
  wrap: string[] = [],
): Traced {
  const trace = join(sb.dir, 'strace.out');
  const r = spawnSync(
    wrap[0] ?? 'strace',
    [
      ...wrap.slice(1),
      ...(wrap.length ? ['strace'] : []),
      ...[
        '-f',
        '-qq',
        '-e',
        `trace=${['execve', 'clone', 'clone3', 'fork', 'vfork', ...syscalls]}`,
      ],
      ...['-o', trace, '-u', sb.user.name],
      ...[BIN, ...args],
    ],
    { env: sb.env, encoding: 'utf8', timeout: 120_000 },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const program = new Map<string, string>();
  const execs: string[] = [];
  const calls: [string, string][] = []; // [syscall, pid]
  const name = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  const pending = new Map<string, string>(); // pid -> program of an exec split over two lines
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const exec = /^(\d+) +execve\("([^"]+)".*?(?:= 0|<unfinished \.\.\.>)$/.exec(line);
    if (exec) {
      program.set(exec[1]!, name(exec[2]!));
      if (line.endsWith('= 0')) execs.push(name(exec[2]!));
      else pending.set(exec[1]!, name(exec[2]!));
    }
    const resumed = /^(\d+) +<\.\.\. execve resumed>.* = 0$/.exec(line);
    if (resumed && pending.has(resumed[1]!)) execs.push(pending.get(resumed[1]!)!);
    // A forked child runs its parent's program until it executes another. strace may print
    // the child's first call before the fork's return.
    const fork = /^(\d+) +(?:<\.\.\. )?(?:clone3?|v?fork)\b.* = (\d+)$/.exec(line);
    if (fork && program.has(fork[1]!) && !program.has(fork[2]!))
      program.set(fork[2]!, program.get(fork[1]!)!);
    const call = /^(\d+) +([a-z_0-9]+)\(/.exec(line);
    if (call && syscalls.includes(call[2]!)) calls.push([call[2]!, call[1]!]);
  }
  return {
    execs,
    callers: (syscall) =>
      new Set(
        calls.filter(([s]) => s === syscall).map(([, pid]) => program.get(pid) ?? `pid ${pid}`),
      ),
  };
}

/**
 * The bundles a run of the CLI reads besides its entry (bin/tsctr's tsctr.cjs and main.cjs, or
 * the binary's own main script): `commands/<id>.cjs` and `oclif.cjs`, named relative to dist/
 * or to the binary's extracted assets, with strace as the test user. Also fails on any file
 * read from node_modules.
 */
export function bundlesRead(
  sb: Sandbox,
  args: string[],
  status = 0,
): { stdout: string; bundles: string[] } {
  const trace = join(sb.dir, 'open.trace');
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-e',
      'trace=open,openat',
      '-e',
      'status=successful',
      '-o',
      trace,
      '-u',
      sb.user.name,
      BIN,
      ...args,
    ],
    { env: sb.env, encoding: 'utf8', timeout: 60_000 },
  );
  expect(r.status, r.stderr).toBe(status);
  const opened = [...readFileSync(trace, 'utf8').matchAll(/open(?:at)?\([^"]*"([^"]+)"/g)].map(
    (m) => m[1]!,
  );
  const bundles = new Set<string>();
  for (const path of opened) {
    if (path.includes('/node_modules/') && path.endsWith('.js')) bundles.add(path);
    const own = /\/(?:dist|app\/[^/]+)\/((?:commands\/.+|oclif|template)\.cjs)$/.exec(path);
    if (own) bundles.add(own[1]!);
  }
  return { stdout: r.stdout, bundles: [...bundles].sort() };
}
