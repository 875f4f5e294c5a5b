/**
 * ./engine-ref.ts as the bundles have it (scripts/build.mjs swaps it in): the engine is
 * dist/template.cjs, required when first needed, from wherever this tsctr keeps its files.
 */
import { requireApp } from '../../binary/app.ts';
import type { Engine } from './engine-ref.ts';

let engine: Engine | undefined;

export const templateEngine = (): Engine => (engine ??= requireApp('template.cjs') as Engine);
