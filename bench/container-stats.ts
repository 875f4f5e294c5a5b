// `stats` benchmark (issue 12's goals): `stats --no-stream` with BENCH_CONTAINERS running
// containers, tsctr against rootless podman (runc) side by side, and what one refresh of live
// `stats` costs in CPU.
//
//   npm run bench:stats     as root (engines run as BENCH_USER via setpriv) or as a user
//   BENCH_RUNS=15 BENCH_WARMUP=3 BENCH_CONTAINERS=20 BENCH_LIVE_SECONDS=10   (defaults)
//
// Where podman has no stats (rootless on cgroup v1 or this v1/v2 hybrid: "stats is not
// supported in rootless mode without cgroups v2") its row says so and the host goal applies:
// under 150 ms for the 20 containers. Live stats: the CPU time (utime+stime of its process)
// that `stats` spends over BENCH_LIVE_SECONDS after its first frames, as a share of one core.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { seedBusybox } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import {
  AS_ROOT,
  USER,
  cleanup,
  engines,
  exec,
  intEnv,
  launchCost,
  NODE,
  removeContainers,
  type Tool,
} from './engines.ts';
import { median, ms, percentile, table } from './stats.ts';

const RUNS = intEnv('BENCH_RUNS', 15);
const WARMUP = intEnv('BENCH_WARMUP', 3);
const COUNT = intEnv('BENCH_CONTAINERS', 20);
const LIVE_SECONDS = intEnv('BENCH_LIVE_SECONDS', 10);
const USER_HZ = 100;

/**
 * utime+stime of a process and of its descendants alive, in seconds: rootless podman does its
 * work in a child it re-executes into its user namespace.
 */
function cpuSeconds(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return 0; // gone meanwhile
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  let total = (Number(f[11]) + Number(f[12])) / USER_HZ;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    // gone meanwhile
  }
  for (const tid of tasks) {
    let children: string;
    try {
      children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch {
      continue;
    }
    for (const child of children.trim().split(' ').filter(Boolean))
      total += cpuSeconds(Number(child));
  }
  return total;
}

/** Live `stats` for LIVE_SECONDS after its first two frames: CPU share of one core, frames. */
async function liveCost(tool: Tool): Promise<{ share: number; frames: number }> {
  // podman refreshes every 5 s unless told; both once a second, as docker.
  const argv = tool.argv(tool.name === 'podman' ? ['stats', '--interval', '1'] : ['stats']);
  const full = AS_ROOT
    ? ['setpriv', `--reuid=${USER}`, `--regid=${USER}`, '--init-groups', ...argv]
    : argv;
  // setpriv and bin/tsctr exec, so the pid is the stats process's own.
  const child = spawn(full[0]!, full.slice(1), {
    env: tool.env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let frames = 0;
  // Each frame has one header, and both engines' name this column so (podman clears the
  // screen its own way).
  child.stdout.on(
    'data',
    (d: Buffer) => (frames += d.toString('latin1').split('MEM USAGE / LIMIT').length - 1),
  );
  try {
    while (frames < 2) {
      if (child.exitCode !== null) throw new Error(`${tool.name} stats exited`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const cpu0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    const f0 = frames;
    await new Promise((r) => setTimeout(r, LIVE_SECONDS * 1000));
    const share = (cpuSeconds(child.pid!) - cpu0) / ((performance.now() - t0) / 1000);
    return { share, frames: frames - f0 };
  } finally {
    child.kill();
  }
}

async function main(): Promise<number> {
  const { dirs, baseEnv, tsctr, binary, podman, havePodman } = engines();
  const failures: string[] = [];
  let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
  const run = (tool: Tool, args: string[]) => {
    const r = exec(tool.argv(args), tool.env, 120_000);
    if (!r.ok) failures.push(`${tool.name}: ${r.detail}`);
    return r;
  };
  try {
    registry = await startRegistry();
    await seedBusybox(registry.host, 'busybox', 'latest');
    const image = `${registry.host}/busybox:latest`;
    console.log(
      `tsctr stats benchmark: ${RUNS} runs after ${WARMUP} warm-up, ${COUNT} containers, user ${USER}, kernel ${release()}`,
    );
    run(tsctr, ['pull', '-q', image]);
    for (let i = 0; i < COUNT; i++) run(tsctr, ['run', '-d', image, 'sleep', '1000']);
    // podman only where it can answer; its first attempt says why not.
    let podmanWhy = havePodman ? '' : 'podman is not installed';
    if (havePodman) {
      exec(podman.argv(['pull', '-q', '--tls-verify=false', image]), podman.env);
      exec(podman.argv(['run', '-d', image, 'sleep', '1000']), podman.env);
      const probe = exec(podman.argv(['stats', '--no-stream']), podman.env);
      if (!probe.ok) podmanWhy = probe.detail.split('\n').at(-1)!.trim();
      else for (let i = 1; i < COUNT; i++) run(podman, ['run', '-d', image, 'sleep', '1000']);
    }
    const tools = [tsctr, ...(binary ? [binary] : []), ...(podmanWhy ? [] : [podman])];
    // The floor under tsctr's figure: the pinned Node starting and doing nothing, and the
    // binary answering `version` (no store read). Timed in the same rounds, for the report only.
    const floors: Tool[] = [
      { name: 'node -e 0 (floor)', argv: () => [NODE, '-e', '0'], env: tsctr.env },
      ...(binary
        ? [
            {
              name: 'binary version (floor)',
              argv: () => binary.argv(['version']),
              env: binary.env,
            },
          ]
        : []),
    ];
    const wrapper = launchCost(baseEnv, WARMUP, RUNS);
    console.log(`  launching /bin/true the same way: ${ms(wrapper)} ms, subtracted below`);
    const samples = new Map<string, number[]>();
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const round = [...tools, ...floors];
      for (const tool of round.map((_, k) => round[(k + i) % round.length]!)) {
        const r = run(tool, ['stats', '--no-stream']);
        if (!r.ok) break;
        const lines = r.detail.trim().split('\n').length - 1;
        if (!floors.includes(tool) && lines !== COUNT)
          failures.push(`${tool.name} stats listed ${lines} containers`);
        if (i >= WARMUP)
          samples.set(tool.name, [...(samples.get(tool.name) ?? []), Math.max(0, r.ms - wrapper)]);
      }
    }
    const p50 = (t: Tool) => median(samples.get(t.name) ?? []);
    const rows = [...tools, ...floors].map((t) => [
      t.name,
      ms(p50(t)),
      ms(percentile(samples.get(t.name) ?? [], 90)),
      podmanWhy ? '-' : `${(p50(t) / p50(podman)).toFixed(2)}x`,
    ]);
    if (podmanWhy) rows.push(['podman', '-', '-', podmanWhy]);
    console.log(
      `\n${table([`stats --no-stream, ${COUNT} running (ms)`, 'p50', 'p90', '/podman'], rows)}\n`,
    );

    // podman's live stats beside ours where it has them: under emulation (the VM tier) every
    // program's CPU time is many times a real CPU's, and podman's share says by how much.
    const liveTools = [binary ?? tsctr, ...(podmanWhy ? [] : [podman])];
    const lives = new Map<Tool, { share: number; frames: number }>();
    for (const t of liveTools) lives.set(t, await liveCost(t));
    for (const [t, l] of lives) {
      console.log(
        `live stats (${t.name}): ${(l.share * 100).toFixed(2)} % of one core over ${LIVE_SECONDS} s, ${l.frames} frames, ${((l.share * 1000 * LIVE_SECONDS) / Math.max(1, l.frames)).toFixed(1)} ms CPU per frame`,
      );
    }
    console.log('');
    const live = lives.get(binary ?? tsctr)!;
    const goal = (what: string, value: number, limit: number, unit: string) =>
      console.log(
        `goal: ${what.padEnd(48)} ${value.toFixed(2)}${unit} < ${limit.toFixed(2)}${unit}  ${value < limit ? 'PASS' : 'OVER'}`,
      );
    for (const t of tools.filter((x) => x !== podman)) {
      if (podmanWhy) goal(`${t.name} stats --no-stream, ${COUNT} containers`, p50(t), 150, ' ms');
      else goal(`${t.name} stats --no-stream / podman`, p50(t) / p50(podman), 0.5, 'x');
    }
    goal(`one live refresh, ${COUNT} containers (share of a core)`, live.share * 100, 5, ' %');
  } finally {
    removeContainers([tsctr, ...(havePodman ? [podman] : [])]);
    cleanup(dirs.base, havePodman ? podman : undefined, baseEnv);
    await registry?.stop();
  }
  for (const f of failures) console.error(`\nFAILED ${f}`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
