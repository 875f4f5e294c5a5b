/**
 * The single binary's main script (dist/sea-main.cjs, compiled into the binary's own code
 * cache). It runs dist/main.cjs, carried as an asset, from a V8 code cache the build made after
 * running the every-day commands: SEA's `useCodeCache` compiles a main script without running it,
 * so it holds only top-level code and every function `ps` calls would be compiled on each run
 * (measured: `images` at 1.09x a bare `node -e 0` that way, 1.01x with the trained cache).
 *
 * The build runs this same file under plain Node with TSCTR_SEA_TRAIN naming the cache file: it
 * then reads dist/main.cjs, starts from the cache so far, and writes the cache back at exit, so
 * that each training command adds the functions it compiled; it trains one cache per
 * every-day command and one over them all (below).
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
// One cache per every-day command, trained on that command alone, and one trained on them all
// for the rest: V8 deserializes all of a cache, and under emulation (the VM tier) `stats`
// spent about 27 ms there with the cache of all, which is a third larger than its own. The
// command is the first word: a guess (after a global flag's value it is not), and a wrong one
// only costs the compilation of what the cache lacks.
const CACHED = ['ps', 'images', 'stats', 'version'];
const word = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? process.argv[2];
const cacheName = `main.cache.${
  word === '--version' ? 'version' : CACHED.includes(word ?? '') ? word : 'all'
}`;
let cachedData: Buffer | undefined;
try {
  cachedData = train
    ? fs.readFileSync(train)
    : Buffer.from(sea.getRawAsset(cacheName) as ArrayBuffer);
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
