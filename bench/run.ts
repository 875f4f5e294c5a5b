// Start-up latency benchmark: tsctr against rootless podman (runc), side by side in one run.
//
//   npm run bench          as root (runs the engines as BENCH_USER via setpriv) or as a normal user
//   BENCH_RUNS=15 BENCH_WARMUP=3 BENCH_USER=tsctr-test BENCH_PODMAN=podman   (defaults)
//   BENCH_TSCTR=path/to/bin/tsctr   (default: this checkout's bin/tsctr)
//   The pull of a large image is bench/pull.ts (`npm run bench:pull`); here the small busybox
//   image is pulled into a store that has it (one manifest request) and into an empty one.
//
// Every figure is the wall time of one whole CLI process as seen from Node. Timing budgets are
// informational: the exit status is non-zero only when a command itself fails.
import { release } from 'node:os';
import { seedBusybox } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { median, ms, percentile, table } from './stats.ts';
import {
  AS_ROOT,
  TSCTR,
  USER,
  cleanup,
  engines,
  exec,
  freshStore,
  intEnv,
  type Tool,
} from './engines.ts';

const RUNS = intEnv('BENCH_RUNS', 15);
const WARMUP = intEnv('BENCH_WARMUP', 3);
const BUDGET_MS = 60;

async function main(): Promise<number> {
  const { dirs, baseEnv, tsctr, podman, havePodman } = engines();
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
      const r = exec(
        tool.argv(
          tool === podman ? ['pull', '-q', '--tls-verify=false', image] : ['pull', '-q', image],
        ),
        tool.env,
      );
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

    const pullArgs = (tool: Tool) =>
      tool === podman ? ['pull', '-q', '--tls-verify=false', image] : ['pull', '-q', image];
    // Each case may give the engine a store of its own for the sample (made before the clock
    // starts, and initialised by an untimed `images`).
    const commands: { label: string; args: (tool: Tool) => string[]; store?: string }[] = [
      { label: '--version', args: () => ['--version'] },
      { label: 'ps (no containers)', args: () => ['ps'] },
      // tsctr has only --network none so far; podman would otherwise set up slirp4netns/pasta.
      {
        label: 'run --rm IMAGE true',
        args: () => ['run', '--rm', '--network', 'none', image, 'true'],
      },
      { label: 'images', args: () => ['images'] },
      { label: 'pull IMAGE (up to date)', args: pullArgs },
      { label: 'pull IMAGE (empty store)', args: pullArgs, store: 'pull' },
    ];
    const samples = new Map<string, number[]>(); // `${command}|${tool}` -> net ms
    const failed = new Set<string>();
    for (const { label, args, store } of commands) {
      for (let i = 0; i < WARMUP + RUNS && !interrupted; i++) {
        // Alternate which engine goes first, so neither always runs right after the other.
        const order = i % 2 ? [...tools].reverse() : tools;
        for (const engine of order) {
          const key = `${label}|${engine.name}`;
          if (failed.has(key)) continue; // one report per failing command is enough
          const tool = store ? freshStore(engine, dirs.base, `${store}-${i}`) : engine;
          if (store) exec(tool.argv(['images']), tool.env);
          const r = exec(tool.argv(args(engine)), tool.env);
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
    const rows = commands.map(({ label }) => {
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

process.exitCode = await main();
