/**
 * The single binary's main script (dist/sea-main.cjs, compiled into the binary's own code
 * cache). It runs dist/main.cjs, carried as an asset, from a V8 code cache the build made after
 * running the every-day commands: SEA's `useCodeCache` compiles a main script without running it,
 * so it holds only top-level code and every function `ps` calls would be compiled on each run
 * (measured: `images` at 1.09x a bare `node -e 0` that way, 1.01x with the trained cache).
 *
 * The build runs this same file under plain Node with TSCTR_SEA_TRAIN naming the cache file: it
 * then reads dist/main.cjs, starts from the cache so far, and writes the cache back at exit, so
 * that each training command adds the functions it compiled.
 */
const sea = process.getBuiltinModule('node:sea');
const train = sea.isSea() ? undefined : process.env.TSCTR_SEA_TRAIN;
const fs = process.getBuiltinModule('node:fs');
const main = train && `${process.getBuiltinModule('node:path').dirname(__filename)}/main.cjs`;
// The build makes main.cjs ASCII, so its bytes are its characters: a Latin-1 view of them is a
// one-byte string made by a copy, where UTF-8 decoding took 0.4 ms. Training reads it the same
// way, since V8 rejects a cache made for a source of another length.
const bytes = main
  ? fs.readFileSync(main)
  : Buffer.from(sea.getRawAsset('main.cjs') as ArrayBuffer);
const source = bytes.toString('latin1');
let cachedData: Buffer | undefined;
try {
  cachedData = train
    ? fs.readFileSync(train)
    : Buffer.from(sea.getRawAsset('main.cache') as ArrayBuffer);
} catch {
  // The first training command starts without one.
}
const script = new (process.getBuiltinModule('node:vm').Script)(
  `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
  { filename: main || 'main.cjs', cachedData },
);
if (process.env.TSCTR_SEA_DEBUG)
  process.stderr.write(`cache rejected: ${script.cachedDataRejected}\n`);
if (train) process.on('exit', () => fs.writeFileSync(train, script.createCachedData()));
(script.runInThisContext() as (...args: unknown[]) => void).call(
  module.exports,
  module.exports,
  require,
  module,
  main || __filename,
  main ? __dirname : process.getBuiltinModule('node:path').dirname(process.execPath),
);
