// Container lifecycle benchmark (issue 10's goals): tsctr against rootless podman (runc),
// side by side in one run, on the same busybox image pulled from a registry on loopback.
//
//   npm run bench:lifecycle     as root (engines run as BENCH_USER via setpriv) or as a user
//   BENCH_RUNS=15 BENCH_WARMUP=3 BENCH_CONTAINERS=20 BENCH_USER=tsctr-test   (defaults)
//
// Measured, each as the wall time of one whole CLI process less the cost of launching /bin/true
// the same way, the engines alternating sample by sample:
//   run --rm IMAGE true; run -d IMAGE sleep (the container removed, untimed, after each sample);
//   exec CONTAINER true; ps with BENCH_CONTAINERS containers running.
// Then the memory each detached container keeps on the host besides its own processes: tsctr's
// monitor against podman's conmon, as RSS and PSS (/proc/PID/smaps_rollup), per container.
// The goals print as ratios; the exit status is non-zero only when a command fails.
import { release } from 'node:os';
import { seedBusybox } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { median, ms, percentile, table } from './stats.ts';
import {
  USER,
  cleanup,
  engines,
  exec,
  intEnv,
  launchCost,
  memory,
  removeContainers,
  userProcesses,
  type Tool,
} from './engines.ts';

const RUNS = intEnv('BENCH_RUNS', 15);
const WARMUP = intEnv('BENCH_WARMUP', 3);
const COUNT = intEnv('BENCH_CONTAINERS', 20);

/** Processes of the benchmark user whose command line starts with `prefix`. */
const processes = (prefix: string) => userProcesses((cmd) => cmd.endsWith(prefix));

async function main(): Promise<number> {
  const { dirs, baseEnv, tsctr, binary, podman, havePodman } = engines();
  if (!havePodman) {
    console.error('podman is not installed: nothing to compare with');
    return 1;
  }
  const tools = [tsctr, ...(binary ? [binary] : []), podman];
  const failures: string[] = [];
  let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
  const run = (tool: Tool, args: string[], status = 0) => {
    const r = exec(tool.argv(args), tool.env, 120_000, status);
    if (!r.ok) failures.push(`${tool.name}: ${r.detail}`);
    return r;
  };
  try {
    registry = await startRegistry();
    await seedBusybox(registry.host, 'busybox', 'latest');
    const image = `${registry.host}/busybox:latest`;
    console.log(
      `tsctr lifecycle benchmark: ${RUNS} runs after ${WARMUP} warm-up, ${COUNT} containers for ps, user ${USER}, kernel ${release()}`,
    );
    console.log(`  ${exec(podman.argv(['--version']), podman.env).detail.trim()} (runc, overlay)`);
    for (const tool of [tsctr, podman]) {
      run(
        tool,
        tool === podman ? ['pull', '-q', '--tls-verify=false', image] : ['pull', '-q', image],
      );
    }
    const wrapper = launchCost(baseEnv, WARMUP, RUNS);
    console.log(`  launching /bin/true the same way: ${ms(wrapper)} ms, subtracted below`);

    const samples = new Map<string, number[]>();
    const add = (label: string, tool: Tool, value: number) =>
      samples.set(`${label}|${tool.name}`, [
        ...(samples.get(`${label}|${tool.name}`) ?? []),
        value,
      ]);
    /** `body` per tool, alternating which goes first; `after` untimed. */
    const measure = (
      label: string,
      args: (tool: Tool) => string[],
      after?: (tool: Tool, stdout: string) => void,
    ) => {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const order = tools.map((_, k) => tools[(k + i) % tools.length]!);
        for (const tool of order) {
          const r = run(tool, args(tool));
          if (!r.ok) return;
          if (i >= WARMUP) add(label, tool, Math.max(0, r.ms - wrapper));
          after?.(tool, r.detail);
        }
      }
    };
    const none = ['--network', 'none'];
    measure('run --rm IMAGE true', () => ['run', '--rm', ...none, image, 'true']);
    measure(
      'run -d IMAGE sleep',
      () => ['run', '-d', ...none, image, 'sleep', '1000'],
      (tool, out) => run(tool === binary ? tsctr : tool, ['rm', '-f', out.trim()]),
    );
    for (const tool of [tsctr, podman])
      run(tool, ['run', '-d', '--name', 'target', ...none, image, 'sleep', '1000']);
    measure('exec CONTAINER true', () => ['exec', 'target', 'true']);
    for (const tool of [tsctr, podman]) run(tool, ['rm', '-f', 'target']);

    // COUNT running containers per engine: ps, then the helpers' memory.
    for (const tool of [tsctr, podman]) {
      for (let i = 0; i < COUNT; i++) run(tool, ['run', '-d', ...none, image, 'sleep', '1000']);
    }
    measure(`ps (${COUNT} running)`, () => ['ps']);
    const mem = (name: string, pids: number[]) => {
      const m = pids.map(memory);
      const sum = (k: 'rss' | 'pss') => m.reduce((a, x) => a + x[k], 0) / (pids.length || NaN);
      return { name, count: pids.length, rss: sum('rss'), pss: sum('pss') };
    };
    const monitors = mem('tsctr-monitor', processes('tsctr-monitor'));
    const conmons = mem('conmon', processes('conmon'));

    const p50 = (label: string, tool: Tool) => median(samples.get(`${label}|${tool.name}`) ?? []);
    const labels = [...new Set([...samples.keys()].map((k) => k.split('|')[0]!))];
    const header = [
      'command (ms)',
      'tsctr p50',
      'p90',
      ...(binary ? ['binary p50'] : []),
      'podman p50',
      'tsctr/podman',
      ...(binary ? ['binary/podman'] : []),
    ];
    const rows = labels.map((l) => {
      const s = samples.get(`${l}|tsctr`) ?? [];
      return [
        l,
        ms(p50(l, tsctr)),
        ms(percentile(s, 90)),
        ...(binary ? [ms(p50(l, binary))] : []),
        ms(p50(l, podman)),
        `${(p50(l, tsctr) / p50(l, podman)).toFixed(2)}x`,
        ...(binary ? [`${(p50(l, binary) / p50(l, podman)).toFixed(2)}x`] : []),
      ];
    });
    console.log(`\n${table(header, rows)}\n`);
    const kib = (v: number) => (Number.isFinite(v) ? `${(v / 1024).toFixed(2)} MiB` : '-');
    console.log(
      `${table(
        ['per detached container', 'processes', 'RSS', 'PSS'],
        [monitors, conmons].map((m) => [m.name, String(m.count), kib(m.rss), kib(m.pss)]),
      )}\n`,
    );
    const goal = (what: string, value: number, limit: number, unit = 'x') =>
      console.log(
        `goal: ${what.padEnd(44)} ${Number.isFinite(value) ? value.toFixed(2) + unit : '  -  '} <= ${limit.toFixed(2)}${unit}  ${Number.isFinite(value) ? (value <= limit ? 'PASS' : 'OVER') : 'n/a'}`,
      );
    for (const [l, limit] of [
      ['run --rm IMAGE true', 0.35],
      ['run -d IMAGE sleep', 0.35],
      [`ps (${COUNT} running)`, 0.3],
      ['exec CONTAINER true', 0.35],
    ] as const) {
      goal(`tsctr ${l} / podman`, p50(l, tsctr) / p50(l, podman), limit);
      if (binary) goal(`binary ${l} / podman`, p50(l, binary) / p50(l, podman), limit);
    }
    goal('monitor RSS per container', monitors.rss / 1024, 1, ' MiB');
    if (monitors.count !== COUNT)
      failures.push(`expected ${COUNT} monitors, found ${monitors.count}`);
  } finally {
    removeContainers([tsctr, podman]);
    cleanup(dirs.base, podman, baseEnv);
    await registry?.stop();
  }
  for (const f of failures) console.error(`\nFAILED ${f}`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
