// Pull benchmark: a ~150 MB, ~60,000-file image (bench/big-image.ts) from a loopback registry,
// tsctr against rootless podman (runc, overlay), side by side in one run, alternating.
//
// Each sample pulls into a store of its own, made just before and initialised by an untimed
// `images`, and nothing is deleted until the end. Before each sample, `sync` keeps the previous
// sample's write-back out of it, and (as root) the page cache is dropped.
//
// Where the stores live (BENCH_PULL_FS):
//   loop    (default as root) a new ext4 filesystem with a journal, on a loop device, made for
//           this run and removed after it: a workstation's filesystem, the same for every run.
//   tmpdir  the machine's own $TMPDIR. On this VM that is ext4 without a journal, which skips
//           inodes freed in the last 60-360 s when it allocates new ones (to protect them until
//           written back): after a test run or an earlier benchmark deleted a few hundred
//           thousand files, both engines' pulls took two to three times as long, in the kernel.
//
//   npm run bench:pull      as root (runs the engines as BENCH_USER via setpriv)
//   BENCH_PULL_RUNS=3 BENCH_PULL_FILES=60000 BENCH_PULL_MB=150 BENCH_PULL_FS=loop   (defaults)
//
// Informational: the exit status is non-zero only when a command fails. Goal: tsctr ≤ 0.5×.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../test/fixtures/registry.ts';
import { median, ms, table } from './stats.ts';
import { AS_ROOT, cleanup, engines, exec, freshStore, intEnv, type Tool } from './engines.ts';
import { pushBigImage } from './big-image.ts';

const RUNS = intEnv('BENCH_PULL_RUNS', 3);
const FILES = intEnv('BENCH_PULL_FILES', 60_000);
const MB = intEnv('BENCH_PULL_MB', 150);
const GOAL = 0.5;
const FS = process.env.BENCH_PULL_FS ?? (AS_ROOT ? 'loop' : 'tmpdir');

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
}

/**
 * A fresh ext4 (journal, inode tables written at mkfs so no lazy-init thread runs during the
 * samples) on a sparse file, mounted through a loop device. Returns the mount point and its
 * removal.
 */
function loopFilesystem(runs: number): { dir: string; remove: () => void } {
  const work = mkdtempSync(join(tmpdir(), 'tsctr-bench-fs-'));
  chmodSync(work, 0o755); // the benchmark user reaches the mount point through it
  const image = join(work, 'fs.img');
  const dir = join(work, 'mnt');
  const gib = Math.max(8, Math.ceil(runs * 2 * 0.5));
  run(['truncate', '-s', `${gib}G`, image]);
  run([
    'mkfs.ext4',
    '-q',
    '-F',
    '-N',
    String(runs * 2 * 80_000 + 100_000),
    '-E',
    'lazy_itable_init=0,lazy_journal_init=0',
    image,
  ]);
  run(['mkdir', dir]);
  run(['mount', '-o', 'loop', image, dir]);
  chmodSync(dir, 0o755);
  return {
    dir,
    remove: () => {
      const r = spawnSync('umount', [dir]);
      if (r.status !== 0) spawnSync('umount', ['-l', dir]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<number> {
  const { dirs, baseEnv, tsctr, podman, havePodman } = engines();
  const tools = havePodman ? [tsctr, podman] : [tsctr];
  const failures: string[] = [];
  const registry = await startRegistry();
  const fs = FS === 'loop' ? loopFilesystem(RUNS) : undefined;
  const storeBase = fs?.dir ?? dirs.base;
  try {
    const t0 = Date.now();
    const img = await pushBigImage(registry.host, 'big', 'latest', {
      files: FILES,
      bytes: MB * 1e6,
    });
    const image = `${registry.host}/big:latest`;
    console.log(
      `pull benchmark: ${img.files} files, ${(img.bytes / 1e6).toFixed(0)} MB in ${img.layers} layers ` +
        `(${(img.compressed / 1e6).toFixed(0)} MB gzip), built in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `${RUNS} runs; stores on ${fs ? 'a fresh journaled ext4 (loop device)' : storeBase}`,
    );
    const pullArgs = (tool: Tool) =>
      tool.name === 'podman' ? ['pull', '-q', '--tls-verify=false', image] : ['pull', '-q', image];
    const samples = new Map<string, number[]>();
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 ? [...tools].reverse() : tools;
      for (const base of order) {
        const tool = freshStore(base, storeBase, `sample-${i}`);
        // The same memory state for every sample: each one leaves ~400 MB of page cache and
        // 60,000 inodes behind, and with many GB cached a pull here took a third longer (for
        // either engine). The untimed `images` then reads the engine's own binaries back in.
        spawnSync('sync');
        if (AS_ROOT) writeFileSync('/proc/sys/vm/drop_caches', '3');
        const init = exec(tool.argv(['images']), tool.env, 120_000);
        if (!init.ok) failures.push(`${tool.name} images: ${init.detail}`);
        spawnSync('sync');
        const r = exec(tool.argv(pullArgs(tool)), tool.env, 600_000);
        if (!r.ok) {
          failures.push(`${tool.name}: ${r.detail}`);
          continue;
        }
        samples.set(tool.name, [...(samples.get(tool.name) ?? []), r.ms]);
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
    fs?.remove();
    await registry.stop();
  }
  for (const f of failures) console.error(`\nFAILED ${f}`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
