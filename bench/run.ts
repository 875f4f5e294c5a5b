// Start-up latency benchmark: tsctr against rootless podman (runc), side by side in one run.
//
//   npm run bench          as root (runs the engines as BENCH_USER via setpriv) or as a normal user
//   BENCH_RUNS=15 BENCH_WARMUP=3 BENCH_USER=tsctr-test BENCH_PODMAN=podman   (defaults)
//   BENCH_TSCTR=path/to/bin/tsctr   (default: this checkout's bin/tsctr)
//
// Every figure is the wall time of one whole CLI process as seen from Node. Timing budgets are
// informational: the exit status is non-zero only when a command itself fails.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { seedBusybox } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { median, ms, percentile, table } from './stats.ts';

const RUNS = intEnv('BENCH_RUNS', 15);
const WARMUP = intEnv('BENCH_WARMUP', 3);
const USER = process.env.BENCH_USER ?? 'tsctr-test';
const PODMAN = process.env.BENCH_PODMAN ?? 'podman';
const BUDGET_MS = 60;
const TSCTR = resolve(process.env.BENCH_TSCTR ?? resolve(import.meta.dirname, '../bin/tsctr'));
const AS_ROOT = process.getuid?.() === 0;

interface Tool {
  name: string;
  argv: (args: readonly string[]) => string[];
  env: Record<string, string>;
}
interface Outcome {
  ms: number;
  ok: boolean;
  detail: string;
}

function intEnv(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Runs argv as the benchmark user: through setpriv when we are root, directly otherwise. */
function exec(argv: readonly string[], env: Record<string, string>, timeoutMs = 120_000): Outcome {
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
  const ok = r.status === 0;
  const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  const detail = ok ? r.stdout : `${argv.join(' ')}: ${why}\n${(r.stderr || r.stdout).trim()}`;
  return { ms: elapsed, ok, detail };
}

/** One private directory tree (owned by the benchmark user) for both engines' state. */
function makeDirs(): Record<
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
    const id = (flag: string): number =>
      Number(spawnSync('id', [flag, USER], { encoding: 'utf8' }).stdout);
    const [uid, gid] = [id('-u'), id('-g')];
    if (!uid) throw new Error(`user ${USER} not found (set BENCH_USER to an unprivileged user)`);
    for (const dir of [...Object.values(d), join(base, 'tsctr'), join(base, 'podman')]) {
      chownSync(dir, uid, gid);
    }
  }
  return d;
}

async function main(): Promise<number> {
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
  const tools = havePodman ? [tsctr, podman] : [tsctr];
  const failures: string[] = [];
  let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
  let interrupted = false;
  process.once('SIGINT', () => (interrupted = true)); // finish the current command, then clean up
  try {
    registry = await startRegistry();
    await seedBusybox(registry.host, 'busybox', 'latest');
    const image = `${registry.host}/busybox:latest`;
    console.log(
      `tsctr benchmark: ${RUNS} runs after ${WARMUP} warm-up, user ${USER}, kernel ${release()}`,
    );
    console.log(`  ${exec(tsctr.argv(['--version']), tsctr.env).detail.trim()} (${TSCTR})`);
    console.log(
      havePodman
        ? `  ${exec(podman.argv(['--version']), podman.env).detail.trim()} (runc, overlay)`
        : '  podman: not installed; tsctr figures alone',
    );

    for (const tool of tools) {
      // The registry is on loopback: tsctr treats it as insecure by default, podman needs telling.
      const pull = tool.argv(
        tool === podman ? ['pull', '-q', '--tls-verify=false', image] : ['pull', '-q', image],
      );
      const r = exec(pull, tool.env);
      if (!r.ok) failures.push(r.detail);
      else console.log(`  ${tool.name} pull ${image}: ${ms(r.ms)} ms`);
    }

    // Baseline: launching /bin/true exactly as the engines are launched (fork of this Node
    // process, setpriv when root). Subtracted from every sample so figures are the engines' own.
    const base: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t = exec(['true'], baseEnv).ms;
      if (i >= WARMUP) base.push(t);
    }
    const wrapper = median(base);
    const how = AS_ROOT ? `setpriv --reuid=${USER} … true` : 'true';
    console.log(
      `  baseline \`${how}\`: ${ms(wrapper)} ms median, subtracted from every figure below`,
    );

    const commands: [string, string[]][] = [
      ['--version', ['--version']],
      ['ps (no containers)', ['ps']],
      // tsctr has only --network none so far; podman would otherwise set up slirp4netns/pasta.
      ['run --rm IMAGE true', ['run', '--rm', '--network', 'none', image, 'true']],
      ['images', ['images']],
    ];
    const samples = new Map<string, number[]>(); // `${command}|${tool}` -> net ms
    const failed = new Set<string>();
    for (const [label, args] of commands) {
      for (let i = 0; i < WARMUP + RUNS && !interrupted; i++) {
        // Alternate which engine goes first, so neither always runs right after the other.
        const order = i % 2 ? [...tools].reverse() : tools;
        for (const tool of order) {
          const key = `${label}|${tool.name}`;
          if (failed.has(key)) continue; // one report per failing command is enough
          const r = exec(tool.argv(args), tool.env);
          if (!r.ok) {
            failed.add(key);
            failures.push(`${tool.name}: ${r.detail}`);
          } else if (i >= WARMUP) {
            samples.set(key, [...(samples.get(key) ?? []), Math.max(0, r.ms - wrapper)]);
          }
        }
      }
    }

    const cell = (key: string, f: (s: number[]) => number): string =>
      failed.has(key) ? 'FAILED' : ms(f(samples.get(key) ?? []));
    const header = ['command (ms)', 'tsctr p50', 'p90'];
    if (havePodman) header.push('podman p50', 'p90', 'tsctr/podman');
    const rows = commands.map(([label]) => {
      const [t, p] = [`${label}|tsctr`, `${label}|podman`];
      const row = [label, cell(t, median), cell(t, (s) => percentile(s, 90))];
      if (havePodman) {
        const ratio = median(samples.get(t) ?? []) / median(samples.get(p) ?? []);
        row.push(
          cell(p, median),
          cell(p, (s) => percentile(s, 90)),
          Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '-',
        );
      }
      return row;
    });
    console.log(`\n${table(header, rows)}\n`);

    for (const label of ['--version', 'ps (no containers)']) {
      const m = median(samples.get(`${label}|tsctr`) ?? []);
      const verdict = Number.isFinite(m) ? (m <= BUDGET_MS ? 'PASS' : 'OVER') : 'n/a';
      console.log(
        `budget: tsctr ${label.padEnd(18)} median ${ms(m).padStart(6)} ms <= ${BUDGET_MS} ms  ${verdict}`,
      );
    }
  } finally {
    cleanup(dirs.base, havePodman ? podman : undefined, baseEnv);
    await registry?.stop();
  }
  for (const f of failures) console.error(`\nFAILED ${f}`);
  if (interrupted) console.error('interrupted');
  return failures.length || interrupted ? 1 : 0;
}

/**
 * Both stores hold files owned by subordinate uids, which the user cannot delete directly.
 * `podman system reset` removes podman's storage and stops its rootless pause process; the
 * rest goes as root, or inside a user namespace that maps the user's subuid range.
 */
function cleanup(base: string, podman: Tool | undefined, env: Record<string, string>): void {
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

process.exitCode = await main();
