// dist/tsctr: tsctr as one file that runs where no Node.js is installed. A Node single executable
// application: the pinned Node binary (symbols stripped) whose main script, dist/sea-main.cjs
// (`useCodeCache`), runs dist/main.cjs from a V8 code cache trained here on the every-day
// commands (src/binary/sea-main.ts says why), and every other file tsctr needs as assets — the
// command bundles, oclif's bundle and manifest, the native addon and helpers — which
// src/binary/assets.ts writes out once per build. Run after `npm run build`.
//
//   --out FILE        write the binary there instead of dist/tsctr
//   --variant TEXT    add TEXT as an asset, so the build's assets (and cache directory) differ
//                     from an otherwise identical build's: for tests of binary replacement
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inject } from 'postject';
import type { AssetIndex } from '../src/binary/assets.ts';
import type { StatePaths } from '../src/config/paths.ts';
import { containerDirs, saveContainer } from '../src/storage/containers.ts';
import { ImageStore } from '../src/storage/store.ts';

// The commands whose compiled code the binary carries (src/cli/hot.ts), run over a store that
// holds an image, an exited container and a running one (trainingStore): in an empty one the
// code that prints rows would stay out of the cache and be compiled on every run (0.5 ms of
// `images`).
const TRAINING = [
  ['--version'],
  ['ps'],
  ['ps', '-a'],
  ['ps', '-a', '--format', '{{.Names}} {{.Status}}'],
  ['images'],
  ['images', '-q'],
  ['version'],
  ['stats', '--no-stream'],
  ['stats', '--no-stream', '-a'],
];

function trainingStore(paths: StatePaths): void {
  const hex = (c: string) => c.repeat(64);
  const id = `sha256:${hex('1')}`;
  new ImageStore(paths).saveImage({
    id,
    names: ['docker.io/library/busybox:latest'],
    digests: [`docker.io/library/busybox@sha256:${hex('2')}`],
    manifestDigest: `sha256:${hex('2')}`,
    layers: [`sha256:${hex('3')}`],
    config: { architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z' },
    size: 4_260_000,
    pulledAt: '2024-01-02T00:00:00Z',
  });
  const container = hex('4');
  saveContainer(paths, {
    id: container,
    name: 'trained',
    image: 'busybox',
    imageId: id,
    created: '2024-01-03T00:00:00Z',
    path: 'true',
    args: [],
    config: {
      Hostname: 'trained',
      User: '',
      Env: [],
      Cmd: ['true'],
      Entrypoint: null,
      WorkingDir: '/',
    },
    hostConfig: { AutoRemove: false, NetworkMode: 'none' },
  });
  const run = containerDirs(paths, container).run;
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'exit'), 'EXITED 0 0\n');

  // A running one, for `stats`: its "init" is this build process (alive while the training runs)
  // and its cgroup a directory of the files stats reads, so that reading and printing its figures
  // are in the cache too.
  const running = hex('5');
  saveContainer(paths, {
    id: running,
    name: 'training',
    image: 'busybox',
    imageId: id,
    created: '2024-01-04T00:00:00Z',
    path: 'sleep',
    args: ['1000'],
    config: {
      Hostname: 'training',
      User: '',
      Env: [],
      Cmd: ['sleep', '1000'],
      Entrypoint: null,
      WorkingDir: '/',
    },
    hostConfig: { AutoRemove: false, NetworkMode: 'none' },
  });
  const runDir = containerDirs(paths, running).run;
  mkdirSync(runDir, { recursive: true });
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(
    join(runDir, 'monitor-state'),
    `RUNNING ${process.pid} ${start} 0 ${process.pid} ${start}\n`,
  );
  const cgroup = join(paths.runroot, 'training-cgroup');
  mkdirSync(cgroup);
  const files = {
    'memory.current': '1048576\n',
    'memory.stat': 'anon 524288\ninactive_file 4096\n',
    'memory.max': 'max\n',
    'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
    'cpu.stat': 'usage_usec 1000\nuser_usec 600\nsystem_usec 400\n',
    'pids.current': '1\n',
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(cgroup, f), text);
  writeFileSync(join(runDir, 'cgroup'), cgroup);
}

const { values: opts } = parseArgs({
  options: { out: { type: 'string', default: 'dist/tsctr' }, variant: { type: 'string' } },
});
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const sources: [name: string, path: string][] = [
  ...globSync('dist/commands/**/*.cjs').map((p): [string, string] => [p.slice('dist/'.length), p]),
  ['oclif.cjs', 'dist/oclif.cjs'],
  ['template.cjs', 'dist/template.cjs'],
  ['pull.cjs', 'dist/pull.cjs'],
  ['oclif.manifest.json', 'dist/oclif.manifest.json'],
  ...['tsctr_native.node', 'tsctr-monitor', 'tsctr-unpack'].map((f): [string, string] => [
    `native/${f}`,
    `build/Release/${f}`,
  ]),
];
sources.sort(([a], [b]) => a.localeCompare(b));
const work = mkdtempSync(join(tmpdir(), 'tsctr-sea-'));
if (opts.variant !== undefined) {
  writeFileSync(join(work, 'variant'), opts.variant);
  sources.push(['variant', join(work, 'variant')]);
}

// src/binary/sea-main.ts reads main.cjs as Latin-1, which is its text only when it is ASCII.
const nonAscii = readFileSync('dist/main.cjs').findIndex((b) => b > 0x7f);
if (nonAscii >= 0) {
  const line = readFileSync('dist/main.cjs').subarray(0, nonAscii).toString().split('\n').length;
  throw new Error(`dist/main.cjs:${line} is not ASCII: escape the character in its source`);
}

const files = sources.map(([name, path]) => ({
  name,
  sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
  mode: statSync(path).mode & 0o755,
}));
const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex');
const index: AssetIndex = { version: pkg.version, hash, files };

try {
  writeFileSync(join(work, 'index.json'), JSON.stringify(index));
  // Each command adds the functions it ran to the cache the previous one left: one cache per
  // every-day command (src/binary/sea-main.ts picks it by the command line's first word), from
  // that command's lines alone, and one from them all for every other command.
  const caches = {
    all: TRAINING,
    ...Object.fromEntries(
      ['ps', 'images', 'stats', 'version'].map((word) => [
        word,
        TRAINING.filter((a) => a[0] === word || (word === 'version' && a[0] === '--version')),
      ]),
    ),
  };
  const home = join(work, 'home');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: join(home, 'run'),
    TSCTR_ROOT: join(home, 'root'),
    TSCTR_RUNROOT: join(home, 'runroot'),
  };
  trainingStore({ root: env.TSCTR_ROOT, runroot: env.TSCTR_RUNROOT });
  for (const [word, lines] of Object.entries(caches)) {
    const trainEnv = { ...env, TSCTR_SEA_TRAIN: join(work, `main.cache.${word}`) };
    for (const args of lines) {
      execFileSync(process.execPath, ['dist/sea-main.cjs', ...args], {
        env: trainEnv,
        stdio: 'ignore',
      });
    }
  }
  const config = {
    main: 'dist/sea-main.cjs',
    output: join(work, 'sea.blob'),
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    // bin/tsctr says why (one V8 worker thread, a 4 MB first young generation, and `--`: Node
    // takes --env-file from anywhere on its command line up to a `--`, run's own --env-file
    // included).
    execArgv: ['--v8-pool-size=1', '--min-semi-space-size=4', '--'],
    assets: Object.fromEntries([
      ['index.json', join(work, 'index.json')],
      ['main.cjs', 'dist/main.cjs'],
      ...Object.keys(caches).map((word) => [
        `main.cache.${word}`,
        join(work, `main.cache.${word}`),
      ]),
      ...sources.map(([name, path]) => [name, path]),
    ]),
  };
  writeFileSync(join(work, 'sea.json'), JSON.stringify(config));
  // The Node that runs this script is the pinned one (npm puts it first on PATH); its blob must
  // be injected into a copy of the same binary.
  execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea.json')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exe = join(work, 'tsctr');
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // The static symbol table and debug info are a seventh of Node's size and nothing at run time
  // reads them; the dynamic symbols the addon binds to (Node-API) stay.
  execFileSync('strip', [exe]);
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(join(work, 'sea.blob')), {
    sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  });
  // Replaced by a rename: a tsctr running from the old file keeps it.
  const tmp = `${opts.out}.${process.pid}`;
  copyFileSync(exe, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, opts.out);
} finally {
  rmSync(work, { recursive: true, force: true });
}
const size = statSync(opts.out).size;
process.stdout.write(
  `${opts.out}: ${(size / 1e6).toFixed(1)} MB, assets ${pkg.version}-${hash.slice(0, 16)} (${files.length} files)\n`,
);
