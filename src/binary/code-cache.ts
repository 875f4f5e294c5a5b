/**
 * The app's bundles (commands, oclif, the template engine, pull) compiled from a V8 code cache
 * made after they ran. Node's own compile cache (module.enableCompileCache) is made right after a
 * file is compiled, when V8 has compiled only its top level, so every function a command calls
 * was compiled again on each run: `run --rm IMAGE true` took 45.7 ms that way and 42.4 with a
 * cache made after a run. This cache is written when a command is done, so it holds what the
 * command compiled; src/binary/sea-main.ts does the same for main.cjs at build time.
 *
 * One file per bundle and per build of it: the name is the bundle's path (URI-encoded) and its
 * size, mtime and inode, because V8 checks a cache only against the source's length. A cache V8
 * rejects (another Node, other flags) is written again. A write removes the caches of files
 * that are gone or were rebuilt (the single binary's pruned builds, a checkout's last build).
 * Writes are atomic (a temporary file renamed), so concurrent first runs each write a whole file
 * and one wins; any failure only costs the speed-up.
 */
import type { Script } from 'node:vm';

const fs = () => process.getBuiltinModule('node:fs');

interface Pending {
  script: Script;
  file: string;
}

const SUFFIX = /\.(\d+-\d+-\d+)\.v8$/;

function keyOf(st: { size: number; mtimeMs: number; ino: number }): string {
  return `${st.size}-${Math.trunc(st.mtimeMs)}-${st.ino}`;
}

const pending: Pending[] = [];
let hooked = false;

/** Where the caches live: one directory per user, beside Node's compile cache. */
export function codeCacheDir(env = process.env): string | undefined {
  const home = env.XDG_CACHE_HOME || (env.HOME && `${env.HOME}/.cache`);
  return home ? `${home}/tsctr/code-cache` : undefined;
}

let quieted = false;

/**
 * A bundle's `import()` goes through the main context's loader (the Script's
 * importModuleDynamically), and Node warns that the constant is experimental the first time one
 * runs: on stderr, in the middle of a container's output. That one warning is dropped; every
 * other warning is printed as before.
 */
function quietLoaderWarning(): void {
  if (quieted) return;
  quieted = true;
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    (emit as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/**
 * Runs a CommonJS bundle as Node's loader would (the same wrapper and arguments) and returns its
 * exports. `name` is its path inside the app directory, `path` the file.
 */
export function loadBundle(name: string, path: string): unknown {
  quietLoaderWarning();
  const { readFileSync, statSync } = fs();
  const vm = process.getBuiltinModule('node:vm');
  const dir = codeCacheDir();
  const entry = `${encodeURIComponent(path)}.${keyOf(statSync(path))}.v8`;
  // NAME_MAX is 255; a bundle that deep in the file system goes without.
  const file = dir && entry.length <= 250 ? `${dir}/${entry}` : undefined;
  let cachedData: Buffer | undefined;
  if (file) {
    try {
      cachedData = readFileSync(file);
    } catch {
      // Not made yet: this run makes it.
    }
  }
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${readFileSync(path, 'utf8')}\n})`,
    {
      filename: path,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    },
  );
  if (process.env.TSCTR_SEA_DEBUG) {
    const state = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
    process.stderr.write(`code cache ${name}: ${state}\n`);
  }
  if (file && (!cachedData || script.cachedDataRejected)) saveLater(script, file);
  const module = { exports: {} as unknown };
  const folder = path.slice(0, path.lastIndexOf('/'));
  const require = process.getBuiltinModule('node:module').createRequire(path);
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    require,
    module,
    path,
    folder,
  );
  return module.exports;
}

/**
 * At exit, once the command has run: only after a command that got through (exit codes below
 * 125, the container's own included), so that a mistyped flag does not leave a cache holding
 * just the error path.
 */
function saveLater(script: Script, file: string): void {
  pending.push({ script, file });
  if (hooked) return;
  hooked = true;
  process.on('exit', (code) => {
    if (code >= 125) return;
    for (const p of pending.splice(0)) save(p);
  });
}

function save({ script, file }: Pending): void {
  const { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = fs();
  const dir = file.slice(0, file.lastIndexOf('/'));
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
    for (const f of readdirSync(dir)) {
      const m = SUFFIX.exec(f);
      if (!m || `${dir}/${f}` === file) continue;
      let current = false;
      try {
        current = keyOf(statSync(decodeURIComponent(f.slice(0, m.index)))) === m[1];
      } catch {
        // Its bundle is gone.
      }
      if (!current) rmSync(`${dir}/${f}`, { force: true });
    }
  } catch {
    rmSync(tmp, { force: true });
  }
}
