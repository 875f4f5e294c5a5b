/**
 * ./pull-ref.ts as the bundles have it (scripts/build.mjs swaps it in): the pull machinery is
 * dist/pull.cjs, required when a `run` must pull, from wherever this tsctr keeps its files.
 */
import { requireApp } from '../binary/app.ts';
import type { PullModule } from './pull-ref.ts';

export const pullModule = async (): Promise<PullModule> => requireApp('pull.cjs') as PullModule;
