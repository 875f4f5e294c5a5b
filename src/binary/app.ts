/**
 * This tsctr's commands and where its own files are: the command bundles, oclif's bundle and
 * manifest, the native addon and helpers. Built from a checkout (bin/tsctr) they are dist/ and build/Release/; in the
 * single binary (dist/tsctr) they are the assets it extracts once per build (./assets.ts). The
 * entry point (src/main.ts) records the answer in a global: every command is its own bundle with
 * its own copy of this module, and they must all find the same files.
 */
import type { CommandClass } from '../cli/command.ts';
import type { CommandShape } from '../cli/parse.ts';
import type { Routes } from '../cli/routes.ts';
import { loadBundle } from './code-cache.ts';

const KEY = Symbol.for('tsctr.app');

export interface App {
  /** Holds commands/, oclif.cjs, oclif.manifest.json. */
  dir: string;
  /** Holds tsctr_native.node, tsctr-monitor, tsctr-unpack. */
  nativeDir: string;
  /** Makes sure the files exist (the binary extracts them on first use) and returns `dir`. */
  ensure(): string;
  /** Every command name (ids and aliases) to its canonical id. */
  routes: Routes;
  /** A command's class, its `id` set to the name it is invoked by. */
  load(invoked: string, canonical: string): Promise<CommandClass>;
  /** A command's flag table from oclif's manifest (src/cli/manifest-shape.ts). */
  shape(canonical: string): CommandShape | undefined;
}

export function setApp(app: App): void {
  (globalThis as Record<symbol, unknown>)[KEY] = app;
}

/** Undefined when running from TypeScript sources (the unit tests). */
export function currentApp(): App | undefined {
  return (globalThis as Record<symbol, App | undefined>)[KEY];
}

const loaded = new Map<string, unknown>();

/**
 * Loads one of the app's CommonJS files (once), compiled from the per-user V8 code cache made
 * after it last ran (./code-cache.ts).
 */
export function requireApp(file: string): unknown {
  if (loaded.has(file)) return loaded.get(file);
  const app = currentApp();
  if (!app) throw new Error(`no tsctr app directory to load ${file} from`);
  const exports = loadBundle(file, `${app.ensure()}/${file}`);
  loaded.set(file, exports);
  return exports;
}

let cacheEnabled = false;

/**
 * V8's code cache, one per user: the default directory under /tmp belongs to whoever made it
 * first. Built from the environment alone, without loading node:os or node:path.
 */
export function enableCompileCache(): void {
  if (cacheEnabled) return;
  cacheEnabled = true;
  const home = process.env.XDG_CACHE_HOME || (process.env.HOME && `${process.env.HOME}/.cache`);
  process
    .getBuiltinModule('node:module')
    .enableCompileCache?.(home ? `${home}/tsctr/compile-cache` : undefined);
}
