// Builds the CLI into dist/, all CommonJS (Node's CommonJS loader starts a bundle ~3 ms sooner
// than its ES-module loader, measured on `tsctr ps`):
//   dist/tsctr.cjs            bin/tsctr's entry: Node version check, V8 code cache, main.cjs
//   dist/sea-main.cjs         the single binary's entry (scripts/build-binary.ts)
//   dist/main.cjs             the front door and the commands in src/cli/hot.ts
//   dist/commands/<id>.cjs    every other command, self-contained (a command loads one file);
//                             `__complete` carries every command's flag table
//   dist/oclif.cjs            @oclif/core, help, completion: loaded only when the front door
//                             hands a command line over
//   dist/template.cjs         the Go template engine, loaded on first need by every other
//                             bundle (src/format/template/engine-ref.ts)
//   dist/pull.cjs             the pull machinery and registry client, loaded by `run` and
//                             `create` only when they must pull (src/images/pull-ref.ts)
//   dist/oclif.manifest.json  oclif's manifest, from the same command classes
// The command classes are read from src/ (Node 24 runs the TypeScript as it is) to derive the
// route table and the manifest, so both come from each command's one definition.
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { existsSync, globSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { completionTable } from '../src/cli/complete.ts';
import { HOT_IDS } from '../src/cli/hot.ts';
import { routesOf } from '../src/cli/routes.ts';
import { commandClasses, manifestOf } from './commands.ts';
import { lazyRequires } from './lazy-requires.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const classes = await commandClasses();
const routes = routesOf(classes);

// Every command's flags and positional arguments as shell completion reads them: `__complete`
// walks a command line without loading the command, and `autocomplete create` writes fish's
// flag entries (oclif's manifest drops the flags' `completion`).
const completion = JSON.stringify(completionTable(classes));

// Built beside dist/ and swapped in at the end, so a CLI started meanwhile (a test running
// while someone rebuilds) finds either the old bundle or the new one, never half of one.
const out = `dist.${process.pid}`;
rmSync(out, { recursive: true, force: true });
// A module X-ref.ts with a sibling X-ref.bundle.ts is replaced by it in the bundles: how a bundle
// loads another bundle on first need, where the sources (the unit tests) import the module.
const bundleVariants = {
  name: 'bundle-variants',
  setup(b) {
    b.onResolve({ filter: /-ref\.ts$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path).replace(/\.ts$/, '.bundle.ts');
      return existsSync(path) ? { path } : undefined;
    });
  },
};
const common = {
  bundle: true,
  splitting: false,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  minifySyntax: true,
  // Comments and indentation are a quarter of a bundle: less to read, hash and copy at start-up
  // (0.1 ms of the binary's `ps`). Names stay: Go's templates print a class's name.
  minifyWhitespace: true,
  plugins: [bundleVariants],
  sourcemap: 'linked',
  outExtension: { '.js': '.cjs' },
  define: {
    __TSCTR_VERSION__: JSON.stringify(pkg.version),
    // Only sources run as ES modules (the unit tests) have one; src/native/loader.ts checks.
    'import.meta.url': 'undefined',
  },
  // oclif reads tsconfig.json through `typescript` when it is installed, for ts-node users;
  // tsctr's commands are bundled, so the require stays unresolved (and is caught by oclif).
  external: ['typescript'],
  logLevel: 'warning',
};
const commands = await build({
  ...common,
  metafile: true,
  entryPoints: Object.keys(classes)
    .filter((id) => !HOT_IDS.includes(id))
    .map((id) => ({
      in: `src/commands/${id.replaceAll(':', '/')}.ts`,
      out: id.replaceAll(':', '/'),
    })),
  outdir: `${out}/commands`,
  define: { ...common.define, __TSCTR_COMPLETION__: completion },
});
const entries = await build({
  ...common,
  metafile: true,
  entryPoints: {
    main: 'src/main.ts',
    tsctr: 'src/boot.ts',
    'sea-main': 'src/binary/sea-main.ts',
    template: 'src/format/template/engine.ts',
    pull: 'src/images/pull.ts',
  },
  outdir: out,
  define: { ...common.define, __TSCTR_ROUTES__: JSON.stringify(routes) },
  // bin/tsctr may fall back to an older `node` on PATH; say so instead of a TypeError.
  banner: {
    js: `if (parseInt(process.versions.node, 10) < 24) { process.stderr.write('Error: tsctr needs Node.js 24 or newer, this is ' + process.version + '\\nHint: run \\'npm ci\\' in the tsctr checkout to install the pinned Node.js\\n'); process.exit(125); }`,
  },
  external: [...common.external, './main.cjs'],
});
// oclif asks wsl-utils whether it runs under WSL, to name its platform 'wsl' (used for Windows
// paths it never takes here); loading it loads node:child_process, ~5 ms of every help page.
const notWsl = {
  name: 'not-wsl',
  setup(b) {
    b.onResolve({ filter: /^wsl-utils$/ }, () => ({ path: 'wsl-utils', namespace: 'not-wsl' }));
    b.onLoad({ filter: /.*/, namespace: 'not-wsl' }, () => ({
      contents: 'export const isWsl = false;',
      loader: 'js',
    }));
  },
};
// supports-color asks node:tty's isatty about fds 1 and 2 when oclif first colours a heading;
// src/cli/terminal.ts gives the same answers without loading node:net and the streams.
const ttyByFstat = {
  name: 'tty-by-fstat',
  setup(b) {
    b.onResolve({ filter: /^(node:)?tty$/ }, (args) =>
      args.importer.includes('/node_modules/supports-color/')
        ? { path: resolve('src/cli/terminal.ts') }
        : undefined,
    );
  },
};
const oclif = await build({
  ...common,
  metafile: true,
  entryPoints: { oclif: 'src/cli/oclif/dispatch.ts' },
  outdir: out,
  define: { ...common.define, __TSCTR_COMPLETION__: completion },
  plugins: [...common.plugins, lazyRequires, notWsl, ttyByFstat],
});

// The front door's promise, checked on what was built: only oclif.cjs contains @oclif/core.
for (const [file, output] of Object.entries({
  ...commands.metafile.outputs,
  ...entries.metafile.outputs,
  ...oclif.metafile.outputs,
})) {
  const oclif = Object.keys(output.inputs).filter((i) => i.includes('node_modules/@oclif/'));
  if (oclif.length && !file.endsWith('/oclif.cjs')) {
    throw new Error(`${file} bundles ${oclif[0]}: only dist/oclif.cjs may load oclif`);
  }
  const engine = 'src/format/template/parser.ts';
  if (output.inputs[engine] && !file.endsWith('/template.cjs')) {
    throw new Error(`${file} bundles ${engine}: only dist/template.cjs may carry the engine`);
  }
}
writeFileSync(`${out}/oclif.manifest.json`, JSON.stringify(await manifestOf(classes, out)));

const old = `dist.old.${process.pid}`;
if (existsSync('dist')) renameSync('dist', old);
renameSync(out, 'dist');
rmSync(old, { recursive: true, force: true });
for (const stale of globSync('dist.*')) {
  // Left by a build that was killed: its pid is gone.
  const pid = Number(stale.split('.').pop());
  if (pid && !existsSync(`/proc/${pid}`)) rmSync(stale, { recursive: true, force: true });
}
