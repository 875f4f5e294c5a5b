/**
 * The one place that finds tsctr's native parts: the addon (tsctr_native.node) and the helper
 * executables built beside it (tsctr-monitor, tsctr-unpack). A failure names every path tried.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { currentApp } from '../binary/app.ts';
import { TsctrError } from '../errors.ts';
import type { NativeAddon } from '../../native/tsctr.d.ts';

export type { NativeAddon } from '../../native/tsctr.d.ts';

/** Directories that may hold a build, most specific first. */
function candidateDirs(): string[] {
  const dirs: string[] = [];
  // The binary extracts its assets on first use.
  currentApp()?.ensure();
  if (process.env.TSCTR_NATIVE_DIR) dirs.push(resolve(process.env.TSCTR_NATIVE_DIR));
  // The app's own: build/Release beside dist/, or the binary's extracted assets.
  const app = currentApp();
  if (app) dirs.push(app.nativeDir);
  // Run from TypeScript sources (the unit tests): src/native/ is two levels below the checkout.
  // Bundles are CommonJS, where the build defines import.meta.url away.
  else if (import.meta.url) {
    dirs.push(
      resolve(
        dirname(process.getBuiltinModule('node:url').fileURLToPath(import.meta.url)),
        '../../build/Release',
      ),
    );
  }
  return [...new Set(dirs)];
}

let addon: NativeAddon | undefined;
let addonDir: string | undefined;

export function native(): NativeAddon {
  if (addon) return addon;
  const tried: string[] = [];
  for (const dir of candidateDirs()) {
    const file = join(dir, 'tsctr_native.node');
    try {
      // node:module fetched here, not imported: loading it is 0.1 ms of every `images`.
      addon = process.getBuiltinModule('node:module').createRequire(file)(file) as NativeAddon;
      addonDir = dir;
      return addon;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      tried.push(`${file} (${code === 'MODULE_NOT_FOUND' ? 'not found' : (err as Error).message})`);
    }
  }
  throw new TsctrError(`cannot load tsctr's native addon; tried:\n  ${tried.join('\n  ')}`, {
    hint: 'build it with `npm run build`, or point TSCTR_NATIVE_DIR at the directory holding it',
  });
}

/** Absolute path of a helper executable built with the addon. */
export function helperPath(name: 'tsctr-monitor' | 'tsctr-unpack'): string {
  const dirs = addonDir ? [addonDir, ...candidateDirs()] : candidateDirs();
  const tried: string[] = [];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      tried.push(file);
    }
  }
  throw new TsctrError(`cannot find ${name}; tried:\n  ${tried.join('\n  ')}`, {
    hint: 'build it with `npm run build`',
  });
}
