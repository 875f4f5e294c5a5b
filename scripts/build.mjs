// Bundles the CLI with esbuild: dist/main.js (global options, the command table, help, errors)
// and one file per command in dist/commands/, so a command's start-up pays only for itself.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';

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

// Each command is its own self-contained file, dist/commands/<verb>.js, loaded by the command
// table in dist/main.js: a command costs two modules to load. (With esbuild's chunk splitting
// a `ps` loaded ten small shared chunks, ~10 ms of Node's ES-module loader.)
const commandsExternal = {
  name: 'commands-external',
  setup(b) {
    b.onResolve({ filter: /\/commands\/[a-z-]+\.ts$/ }, (args) =>
      args.kind === 'dynamic-import'
        ? {
            path: `./commands/${args.path.split('/').pop().replace(/\.ts$/, '.js')}`,
            external: true,
          }
        : undefined,
    );
  },
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Built beside dist/ and swapped in at the end, so a CLI started meanwhile (a test running
// while someone rebuilds) finds either the old bundle or the new one, never half of one.
const out = `dist.${process.pid}`;
const staging = new URL(`../${out}`, import.meta.url);
rmSync(staging, { recursive: true, force: true });
const common = {
  bundle: true,
  splitting: false,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  minifySyntax: true,
  sourcemap: 'linked',
  define: { __TSCTR_VERSION__: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
  },
  logLevel: 'warning',
};
await build({
  ...common,
  // bin/tsctr may fall back to an older `node` on PATH; say so instead of a TypeError.
  banner: {
    js: `if (parseInt(process.versions.node, 10) < 24) { process.stderr.write('Error: tsctr needs Node.js 24 or newer, this is ' + process.version + '\\nHint: run \\'npm ci\\' in the tsctr checkout to install the pinned Node.js\\n'); process.exit(125); }\n${common.banner.js}`,
  },
  entryPoints: ['src/main.ts'],
  outdir: out,
  plugins: [builtinsWithoutFacade, commandsExternal],
});
await build({
  ...common,
  entryPoints: readdirSync(new URL('../src/commands', import.meta.url))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `src/commands/${f}`),
  outdir: `${out}/commands`,
  plugins: [builtinsWithoutFacade],
});
const dist = new URL('../dist', import.meta.url);
const old = new URL(`../dist.old.${process.pid}`, import.meta.url);
if (existsSync(dist)) renameSync(dist, old);
renameSync(staging, dist);
rmSync(old, { recursive: true, force: true });
