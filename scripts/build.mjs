// Bundles src/main.ts into dist/ with esbuild: one entry file plus a lazily loaded chunk per
// command, so a command's start-up pays only for what it imports.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  minifySyntax: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  define: { __TSCTR_VERSION__: JSON.stringify(pkg.version) },
  // oclif loads TypeScript only to run .ts plugins in development; tsctr has none.
  external: ['typescript'],
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __tsctrRequire } from 'node:module'; const require = __tsctrRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
