// Pull benchmark: a ~150 MB, ~60,000-file image (bench/big-image.ts) from a loopback registry,
// tsctr against rootless podman (runc, overlay), side by side in one run. Each sample starts
// with the image absent from the engine's store (removed with the engine's own rmi).
//
//   npm run bench:pull      as root (runs the engines as BENCH_USER via setpriv)
//   BENCH_PULL_RUNS=3 BENCH_PULL_FILES=60000 BENCH_PULL_MB=150   (defaults)
//
// Informational: the exit status is non-zero only when a command fails. Goal: tsctr ≤ 0.5×.
import { spawnSync } from 'node:child_process';
import { startRegistry } from '../test/fixtures/registry.ts';
import { median, ms, table } from './stats.ts';
import { cleanup, engines, exec, intEnv, type Tool } from './engines.ts';
import { pushBigImage } from './big-image.ts';

const RUNS = intEnv('BENCH_PULL_RUNS', 3);
const FILES = intEnv('BENCH_PULL_FILES', 60_000);
const MB = intEnv('BENCH_PULL_MB', 150);
const GOAL = 0.5;

async function main(): Promise<number> {
  const { dirs, baseEnv, tsctr, podman, havePodman } = engines();
  const tools = havePodman ? [tsctr, podman] : [tsctr];
  const failures: string[] = [];
  const registry = await startRegistry();
  try {
    const t0 = Date.now();
    const img = await pushBigImage(registry.host, 'big', 'latest', {
      files: FILES,
      bytes: MB * 1e6,
    });
    const image = `${registry.host}/big:latest`;
    console.log(
      `pull benchmark: ${img.files} files, ${(img.bytes / 1e6).toFixed(0)} MB in ${img.layers} layers ` +
        `(${(img.compressed / 1e6).toFixed(0)} MB gzip), built in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${RUNS} runs`,
    );
    const pullArgs = (tool: Tool) =>
      tool === podman ? ['pull', '-q', '--tls-verify=false', image] : ['pull', '-q', image];
    const samples = new Map<string, number[]>();
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 ? [...tools].reverse() : tools;
      for (const tool of order) {
        // Write back what the previous sample left dirty (its pull, the rmi), so that neither
        // engine's figure includes the other's disk writes.
        spawnSync('sync');
        const r = exec(tool.argv(pullArgs(tool)), tool.env, 600_000);
        if (!r.ok) {
          failures.push(`${tool.name}: ${r.detail}`);
          continue;
        }
        samples.set(tool.name, [...(samples.get(tool.name) ?? []), r.ms]);
        const rm = exec(tool.argv(['rmi', '-f', image]), tool.env, 300_000);
        if (!rm.ok) failures.push(`${tool.name} rmi: ${rm.detail}`);
      }
    }
    const t = median(samples.get('tsctr') ?? []);
    const p = median(samples.get('podman') ?? []);
    const header = ['pull (ms)', 'tsctr p50'];
    const row = ['big:latest', ms(t)];
    if (havePodman) {
      header.push('podman p50', 'tsctr/podman');
      row.push(ms(p), Number.isFinite(t / p) ? `${(t / p).toFixed(2)}x` : '-');
    }
    console.log(`\n${table(header, [row])}\n`);
    console.log(
      `samples: ${[...samples].map(([k, v]) => `${k} ${v.map(ms).join(', ')}`).join('; ')}`,
    );
    if (havePodman && Number.isFinite(t / p)) {
      console.log(
        `goal: tsctr/podman ${(t / p).toFixed(2)}x <= ${GOAL}x  ${t / p <= GOAL ? 'PASS' : 'OVER'}`,
      );
    }
  } finally {
    cleanup(dirs.base, havePodman ? podman : undefined, baseEnv);
    await registry.stop();
  }
  for (const f of failures) console.error(`\nFAILED ${f}`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
