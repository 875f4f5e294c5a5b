/**
 * bin/tsctr's entry (dist/tsctr.cjs): turns on V8's code cache before dist/main.cjs is read, so
 * the front door itself is compiled from the cache. (The single binary carries its own cache of
 * main.cjs and starts there.)
 */
import { enableCompileCache } from './binary/app.ts';

enableCompileCache();
// A sibling bundle, left external by the build: CommonJS loads it synchronously.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./main.cjs');
