/**
 * Entry point of bin/tsctr (through dist/tsctr.cjs) and of the single binary dist/tsctr: the
 * front door for well-formed command lines, oclif for everything else, one `Error: …` for any
 * failure, docker's exit codes.
 *
 * This file and the commands it names in HOT are the whole of what `tsctr ps`, `tsctr images`,
 * `tsctr stats` and `tsctr --version` load; in the binary they are its main script, compiled
 * from the code cache the binary carries. Every other command is its own bundle (dist/commands/…), and oclif
 * another (dist/oclif.cjs), loaded only when needed.
 */
import { setApp, requireApp, type App } from './binary/app.ts';
import { watchStdStreams, writeErr, writeOut, writtenSynchronously } from './cli/output.ts';
import type { CommandClass } from './cli/command.ts';
import { applyGlobal } from './cli/global-options.ts';
import { plan } from './cli/front-door.ts';
import { manifestShapes } from './cli/manifest-shape.ts';
import type { CommandShape } from './cli/parse.ts';
import type * as Assets from './binary/assets.ts';
import type { HotId } from './cli/hot.ts';
import { commandFile, type Routes } from './cli/routes.ts';
import { describeError, ExitCode } from './errors.ts';
import { VERSION } from './version.ts';

declare const __TSCTR_ROUTES__: Routes;

type Loaded = { default: CommandClass };

// Bundled into this file (src/cli/hot.ts says why); the build leaves them no file of their own.
const HOT: Record<string, () => Promise<Loaded>> = {
  'container:ls': () => import('./commands/container/ls.ts'),
  'container:stats': () => import('./commands/container/stats.ts'),
  'image:ls': () => import('./commands/image/ls.ts'),
  version: () => import('./commands/version.ts'),
} satisfies Record<HotId, () => Promise<Loaded>>;

async function load(invoked: string, canonical: string): Promise<CommandClass> {
  const hot = HOT[canonical];
  const mod = hot ? await hot() : (requireApp(`commands/${commandFile(canonical)}.cjs`) as Loaded);
  const cmd = mod.default;
  cmd.id = invoked;
  return cmd;
}

/** Where this tsctr's files are, worked out when something first asks. */
function app(): App {
  let where: { dir: string; nativeDir: string; ensure: () => string } | undefined;
  const locate = () => {
    if (where) return where;
    if (process.getBuiltinModule('node:sea').isSea()) {
      // Required only here, synchronously (esbuild bundles it as a module initialised on first
      // use): a checkout's start-up does not run the extraction code.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { assetDir, extractAssets } = require('./binary/assets.ts') as typeof Assets;
      const dir = assetDir();
      return (where = { dir, nativeDir: `${dir}/native`, ensure: () => extractAssets(dir) });
    }
    const dir = __dirname;
    return (where = { dir, nativeDir: `${dir}/../build/Release`, ensure: () => dir });
  };
  let shapes: ((id: string) => CommandShape | undefined) | undefined;
  return {
    routes: __TSCTR_ROUTES__,
    load,
    shape: (id) => (shapes ??= manifestShapes(locate().ensure()))(id),
    get dir() {
      return locate().dir;
    },
    get nativeDir() {
      return locate().nativeDir;
    },
    ensure: () => locate().ensure(),
  };
}

async function main(argv: string[]): Promise<number> {
  const door = app();
  setApp(door);
  const p = await plan(argv, door);
  if (p.kind === 'version') {
    writeOut(`tsctr version ${VERSION}\n`);
    return 0;
  }
  if (p.kind === 'run') {
    applyGlobal(p.global);
    await p.cmd.runParsed(p.argv, p.parsed);
  } else {
    const oclif = requireApp('oclif.cjs') as typeof import('./cli/oclif/dispatch.ts');
    await oclif.dispatch(argv, door);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

let settled = false;
// Node exits, with status 0, once nothing is left to wait for, even while `main` still awaits
// a promise that can no longer settle. Such a bug must not pass for success.
process.on('exit', () => {
  if (settled) return;
  writeErr('Error: tsctr stopped before the command finished (an internal error)\n');
  process.exitCode = ExitCode.Failed;
});
// An exception thrown from an event callback bypasses `main`'s promise; it is a bug, but it
// is still reported once, as every other failure is.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    if (settled) return;
    settled = true;
    const { text, exitCode } = describeError(err);
    writeErr(`${text}\n`);
    process.exit(exitCode);
  });
}
// The command is done when `main` settles, and what it started that outlives it (a container's
// monitor, the background sync) is detached. When no output is still queued in a stream, it
// exits there, which skips Node's teardown of the heap (0.5 ms of `tsctr images`); otherwise
// Node's own exit waits for the stream.
watchStdStreams();
const done = (code: number) => {
  settled = true;
  if (writtenSynchronously()) process.exit(code);
  process.exitCode = code;
};
main(process.argv.slice(2)).then(done, (err: unknown) => {
  const { text, exitCode } = describeError(err);
  writeErr(`${text}\n`);
  done(exitCode);
});
