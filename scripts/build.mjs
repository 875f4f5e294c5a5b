// Bundles src/main.ts into dist/ with esbuild: one entry file plus a lazily loaded chunk per
// command, so a command's start-up pays only for what it imports.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

// `import { readFileSync } from 'node:fs'` makes Node build an ES-module facade of the builtin,
// which reads every export — and fs's lazy ones load the whole streams stack (~10 ms per run,
// measured with --cpu-prof). Bundling each builtin as a CommonJS module that returns
// process.getBuiltinModule() keeps the named imports as plain property reads.
const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path, namespace: 'builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

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
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [builtinsWithoutFacade],
});
