declare const __TSCTR_VERSION__: string;

/** Replaced at build time (scripts/build.mjs) with package.json's version. */
export const VERSION = typeof __TSCTR_VERSION__ === 'string' ? __TSCTR_VERSION__ : '0.0.0-dev';
