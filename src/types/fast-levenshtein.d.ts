// fast-levenshtein ships no types; this is the one function tsctr calls.
declare module 'fast-levenshtein' {
  const levenshtein: { get(a: string, b: string, options?: { useCollator?: boolean }): number };
  export default levenshtein;
}
