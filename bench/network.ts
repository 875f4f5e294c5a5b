// Network benchmark (issue 11's goals): tsctr with pasta and with slirp4netns against rootless
// podman (slirp4netns, with rootlessport for published ports), side by side in one run, on the
// same busybox image pulled from a registry on loopback.
//
//   npm run bench:network     as root (engines run as BENCH_USER via setpriv) or as a user
//   BENCH_RUNS=10 BENCH_WARMUP=2 BENCH_MB=256 BENCH_USER=tsctr-test   (defaults)
//
// Measured:
//   run -d -p PORT:80 IMAGE sleep: the wall time of the CLI, less launching /bin/true the same
//     way, the engines alternating sample by sample (each container removed, untimed, after);
//   published port: a server in the container sends BENCH_MB MB, fetched from the host through
//     127.0.0.1:PORT (median of BENCH_RUNS downloads, MB/s); container to host: the container
//     fetches them from a server on the host's loopback. Both ends are bench/fixtures/zero-*.c
//     (sendfile(2) from a memfd, splice(2) into /dev/null), built static and mounted into the
//     container: busybox httpd with curl or wget topped out at ~1.5 GB/s here, under every
//     path. "direct" is the same two programs on the host's loopback, the machine's ceiling;
//   tsctr on a user network: the container is on `network create`'s bridge, its port published
//     by the monitor's splice forwarder, its way out through the keeper's pasta and NAT;
//   helper memory: with one container that publishes one port, the RSS and PSS of every process
//     the engine keeps for it besides the container (tsctr: monitor and pasta or slirp4netns;
//     podman: conmon, slirp4netns, rootlessport and its child).
// The goals print as ratios; the exit status is non-zero only when a command fails.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import { seedBusybox } from '../test/fixtures/images.ts';
import { startRegistry } from '../test/fixtures/registry.ts';
import { median, ms, table } from './stats.ts';
import {
  AS_ROOT,
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
import { freePort } from '../test/fixtures/net.ts';

const RUNS = intEnv('BENCH_RUNS', 10);
const WARMUP = intEnv('BENCH_WARMUP', 2);
const MB = intEnv('BENCH_MB', 256);

/** Runs argv as the benchmark user without blocking this process (its server must answer). */
function execAsync(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const full = AS_ROOT
    ? ['setpriv', `--reuid=${USER}`, `--regid=${USER}`, '--init-groups', ...argv]
    : argv;
  return new Promise((resolve) => {
    const child = spawn(full[0]!, full.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Processes of the benchmark user whose argv[0] ends with one of `names`. */
const helpers = (names: string[]) =>
  userProcesses((cmd) => names.some((n) => cmd === n || cmd.endsWith(`/${n}`)));

async function main(): Promise<number> {
  const { dirs, baseEnv, tsctr, binary, podman, havePodman } = engines();
  if (!havePodman) {
    console.error('podman is not installed: nothing to compare with');
    return 1;
  }
  const failures: string[] = [];
  let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
  const run = (tool: Tool, args: string[]) => {
    const r = exec(tool.argv(args), tool.env, 120_000);
    if (!r.ok) failures.push(`${tool.name}: ${r.detail}`);
    return r;
  };
  // The configurations compared: tsctr's two helpers (the binary with pasta), a user network,
  // and podman. `host` is a shell expression for the host's address inside the container.
  const fromHosts = `$(sed -n 's/^\\([0-9.]*\\)[[:space:]].*host.containers.internal.*/\\1/p' /etc/hosts | head -1)`;
  const configs: { name: string; tool: Tool; net: string[]; host: string; names: string[] }[] = [
    {
      name: 'tsctr pasta',
      tool: tsctr,
      net: ['--network', 'pasta'],
      host: fromHosts,
      names: ['tsctr-monitor', 'pasta'],
    },
    ...(binary
      ? [
          {
            name: 'binary pasta',
            tool: binary,
            net: ['--network', 'pasta'],
            host: fromHosts,
            names: ['tsctr-monitor', 'pasta'],
          },
        ]
      : []),
    {
      name: 'tsctr slirp4netns',
      tool: tsctr,
      net: ['--network', 'slirp4netns'],
      host: fromHosts,
      names: ['tsctr-monitor', 'slirp4netns'],
    },
    {
      name: 'tsctr user network',
      tool: tsctr,
      net: ['--network', 'benchnet'],
      host: fromHosts,
      // The monitor, its forwarder and the keeper are all tsctr-monitor; the keeper's helper.
      names: ['tsctr-monitor', 'slirp4netns', 'pasta'],
    },
    {
      name: 'podman',
      tool: podman,
      net: ['--network', 'slirp4netns:allow_host_loopback=true'],
      host: '10.0.2.2',
      names: ['conmon', 'slirp4netns', 'rootlessport', 'rootlessport-child'],
    },
  ];
  const rm = (c: (typeof configs)[number], id: string) =>
    run(c.tool === binary ? tsctr : c.tool, ['rm', '-f', id.trim()]);
  try {
    registry = await startRegistry();
    await seedBusybox(registry.host, 'busybox', 'latest');
    const image = `${registry.host}/busybox:latest`;
    console.log(
      `tsctr network benchmark: ${RUNS} runs after ${WARMUP} warm-up, ${MB} MB transfers, user ${USER}, kernel ${release()}`,
    );
    console.log(
      `  ${exec(podman.argv(['--version']), podman.env).detail.trim()} (runc, slirp4netns, rootlessport)`,
    );
    for (const tool of [tsctr, podman]) {
      run(
        tool,
        tool === podman ? ['pull', '-q', '--tls-verify=false', image] : ['pull', '-q', image],
      );
    }
    run(tsctr, ['network', 'create', 'benchnet']);
    // The two ends of every transfer (see the top), where the benchmark user can run them.
    const fixtures = join(dirs.base, 'fixtures');
    execFileSync('mkdir', ['-p', fixtures]);
    for (const f of ['zero-httpd', 'zero-get']) {
      execFileSync('cc', ['-static', '-O2', '-o', join(fixtures, f), `bench/fixtures/${f}.c`]);
      chmodSync(join(fixtures, f), 0o755);
    }
    chmodSync(fixtures, 0o755);
    const mount = ['-v', `${fixtures}:/x:ro`];
    const wrapper = launchCost(baseEnv, WARMUP, RUNS);
    console.log(`  launching /bin/true the same way: ${ms(wrapper)} ms, subtracted below`);

    // Start-up of a container that publishes a port.
    const startup = new Map<string, number[]>();
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const order = configs.map((_, k) => configs[(k + i) % configs.length]!);
      for (const c of order) {
        const port = await freePort();
        const r = run(c.tool, ['run', '-d', ...c.net, '-p', `${port}:80`, image, 'sleep', '1000']);
        if (!r.ok) break;
        if (i >= WARMUP)
          startup.set(c.name, [...(startup.get(c.name) ?? []), Math.max(0, r.ms - wrapper)]);
        rm(c, r.detail);
      }
    }

    // Helper memory with one published port, then the two throughputs.
    const mem = new Map<string, { rss: number; pss: number; count: number }>();
    const published = new Map<string, number>();
    const toHost = new Map<string, number>();
    // The machine's ceiling: both programs on the host's loopback.
    {
      const port = await freePort();
      const srv = spawn(join(fixtures, 'zero-httpd'), [String(port), String(MB)], {
        stdio: 'ignore',
      });
      await new Promise((res) => setTimeout(res, 200));
      const rates: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const d = exec([join(fixtures, 'zero-get'), '127.0.0.1', String(port)], baseEnv, 120_000);
        if (d.ok && i >= WARMUP) rates.push(Number(d.detail) / 1e6);
      }
      srv.kill();
      published.set('direct', median(rates));
      toHost.set('direct', median(rates));
    }
    for (const c of configs) {
      const port = await freePort();
      const r = run(c.tool, [
        'run',
        '-d',
        ...c.net,
        ...mount,
        '-p',
        `${port}:80`,
        image,
        '/x/zero-httpd',
        '80',
        String(MB),
      ]);
      if (!r.ok) continue;
      await new Promise((res) => setTimeout(res, 1000));
      const pids = helpers(c.names);
      const m = pids.map(memory);
      mem.set(c.name, {
        rss: m.reduce((a, x) => a + x.rss, 0),
        pss: m.reduce((a, x) => a + x.pss, 0),
        count: pids.length,
      });
      const rates: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const d = exec([join(fixtures, 'zero-get'), '127.0.0.1', String(port)], baseEnv, 120_000);
        if (!d.ok) {
          failures.push(`${c.name}: download: ${d.detail}`);
          break;
        }
        if (i >= WARMUP) rates.push(Number(d.detail) / 1e6);
      }
      published.set(c.name, median(rates));
      rm(c, r.detail);

      // Container to host: the server on the host's loopback, the client in a container.
      const hostPort = await freePort();
      const srv = spawn(join(fixtures, 'zero-httpd'), [String(hostPort), String(MB)], {
        stdio: 'ignore',
      });
      await new Promise((res) => setTimeout(res, 200));
      const hostRates: number[] = [];
      for (let i = 0; i < Math.min(RUNS, 5); i++) {
        const g = await execAsync(
          c.tool.argv([
            'run',
            '--rm',
            ...c.net,
            ...mount,
            image,
            'sh',
            '-c',
            `/x/zero-get ${c.host} ${hostPort}`,
          ]),
          c.tool.env,
        );
        if (g.code !== 0) {
          failures.push(`${c.name}: fetch from the host: ${g.out.trim()}`);
          break;
        }
        hostRates.push(Number(g.out.trim()) / 1e6);
      }
      srv.kill();
      toHost.set(c.name, median(hostRates));
    }

    const ratio = (a: number | undefined, b: number | undefined) =>
      a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : '-';
    const pod = 'podman';
    const rows = [{ name: 'direct' }, ...configs].map((c) =>
      c.name === 'direct'
        ? [
            'direct (no container)',
            '-',
            '-',
            (published.get(c.name) ?? NaN).toFixed(0),
            ratio(published.get(c.name), published.get(pod)),
            (toHost.get(c.name) ?? NaN).toFixed(0),
            ratio(toHost.get(c.name), toHost.get(pod)),
            '-',
            '-',
          ]
        : [
            c.name,
            ms(median(startup.get(c.name) ?? [])),
            ratio(median(startup.get(c.name) ?? []), median(startup.get(pod) ?? [])),
            (published.get(c.name) ?? NaN).toFixed(0),
            ratio(published.get(c.name), published.get(pod)),
            (toHost.get(c.name) ?? NaN).toFixed(0),
            ratio(toHost.get(c.name), toHost.get(pod)),
            `${((mem.get(c.name)?.rss ?? NaN) / 1024).toFixed(2)} (${mem.get(c.name)?.count ?? 0})`,
            ((mem.get(c.name)?.pss ?? NaN) / 1024).toFixed(2),
          ],
    );
    console.log(
      `\n${table(
        [
          'engine',
          'run -d -p (ms)',
          '/podman',
          'published port MB/s',
          '/podman',
          'to host MB/s',
          '/podman',
          'helpers RSS MiB (procs)',
          'PSS MiB',
        ],
        rows,
      )}\n`,
    );
    const goal = (what: string, value: number, limit: number, more: boolean, unit = 'x') =>
      console.log(
        `goal: ${what.padEnd(46)} ${Number.isFinite(value) ? value.toFixed(2) + unit : '  -  '} ${more ? '>=' : '<='} ${limit.toFixed(2)}${unit}  ${Number.isFinite(value) ? ((more ? value >= limit : value <= limit) ? 'PASS' : 'OVER') : 'n/a'}`,
      );
    for (const c of configs.filter((x) => x.name !== pod)) {
      goal(
        `${c.name}: published port / podman`,
        (published.get(c.name) ?? NaN) / (published.get(pod) ?? NaN),
        2,
        true,
      );
      goal(
        `${c.name}: container to host / podman`,
        (toHost.get(c.name) ?? NaN) / (toHost.get(pod) ?? NaN),
        2,
        true,
      );
      goal(
        `${c.name}: run -d -p / podman`,
        median(startup.get(c.name) ?? []) / median(startup.get(pod) ?? []),
        0.35,
        false,
      );
      goal(
        `${c.name}: helper RSS / podman's`,
        (mem.get(c.name)?.rss ?? NaN) / (mem.get(pod)?.rss ?? NaN),
        1,
        false,
      );
    }
  } finally {
    removeContainers([tsctr, podman]);
    cleanup(dirs.base, podman, baseEnv);
    await registry?.stop();
  }
  for (const f of failures) console.error(`\nFAILED ${f}`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
