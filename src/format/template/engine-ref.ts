/**
 * How ./index.ts reaches the engine. From the sources (the unit tests) it is this module's
 * import; the build swaps in ./engine-ref.bundle.ts, which loads dist/template.cjs on first use,
 * so that no bundle but that one carries the engine.
 */
import * as engine from './engine.ts';

export type Engine = typeof engine;

export const templateEngine = (): Engine => engine;
