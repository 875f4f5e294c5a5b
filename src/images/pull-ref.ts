/**
 * How `run` (./for-container.ts) reaches the pull machinery. From the sources (the unit tests)
 * it is this module's import; the build swaps in ./pull-ref.bundle.ts, which loads
 * dist/pull.cjs, so that the registry client (undici) is not read by every `run`: it was ~20 ms
 * of a `run` whose image is there (requiring run's bundle, 22.7 ms, against 1.8 for attach's).
 */
export type PullModule = typeof import('./pull.ts');

export const pullModule = (): Promise<PullModule> => import('./pull.ts');
