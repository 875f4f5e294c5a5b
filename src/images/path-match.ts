/**
 * Go's path.Match, which docker's `reference=` filter uses (reference.FamiliarMatch): `*` and
 * `?` never cross a '/', `[…]` classes with ranges, `^` negation and `\` escapes. A malformed
 * pattern is an error ("syntax error in pattern"), as in Go, even when an earlier part already
 * failed to match.
 */
import { TsctrError } from '../errors.ts';

const badPattern = () =>
  new TsctrError('syntax error in pattern', {
    hint: "patterns use '*', '?', '[a-z]' and '\\' escapes, as Go's path.Match",
  });

function scanChunk(p: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let i = 0;
  let star = false;
  while (i < p.length && p[i] === '*') {
    i++;
    star = true;
  }
  const start = i;
  let inRange = false;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 < p.length) i++;
    } else if (c === '[') inRange = true;
    else if (c === ']') inRange = false;
    else if (c === '*' && !inRange) break;
  }
  return { star, chunk: p.slice(start, i), rest: p.slice(i) };
}

function getEsc(chunk: string[], at: number): [string, number] {
  let i = at;
  if (i >= chunk.length || chunk[i] === '-' || chunk[i] === ']') throw badPattern();
  if (chunk[i] === '\\') {
    i++;
    if (i >= chunk.length) throw badPattern();
  }
  const r = chunk[i]!;
  i++;
  if (i >= chunk.length) throw badPattern();
  return [r, i];
}

/** Matches `chunk` at the start of `s`; returns what is left of `s`, or undefined. */
function matchChunk(chunk: string[], s: string[]): string[] | undefined {
  let failed = false;
  let si = 0;
  let ci = 0;
  while (ci < chunk.length) {
    if (!failed && si >= s.length) failed = true;
    const c = chunk[ci]!;
    if (c === '[') {
      const r = failed ? '' : s[si++]!;
      ci++;
      let negated = false;
      if (chunk[ci] === '^') {
        negated = true;
        ci++;
      }
      let match = false;
      let n = 0;
      for (;;) {
        if (chunk[ci] === ']' && n > 0) {
          ci++;
          break;
        }
        let lo: string;
        let hi: string;
        [lo, ci] = getEsc(chunk, ci);
        hi = lo;
        if (chunk[ci] === '-') [hi, ci] = getEsc(chunk, ci + 1);
        const cp = r.codePointAt(0) ?? -1;
        if (lo.codePointAt(0)! <= cp && cp <= hi.codePointAt(0)!) match = true;
        n++;
      }
      if (match === negated) failed = true;
    } else if (c === '?') {
      if (!failed) {
        if (s[si] === '/') failed = true;
        si++;
      }
      ci++;
    } else {
      if (c === '\\') {
        ci++;
        if (ci >= chunk.length) throw badPattern();
      }
      if (!failed) {
        if (chunk[ci] !== s[si]) failed = true;
        si++;
      }
      ci++;
    }
  }
  return failed ? undefined : s.slice(si);
}

/** Go's path.Match(pattern, name); throws "syntax error in pattern" for a malformed pattern. */
export function pathMatch(pattern: string, name: string): boolean {
  let p = Array.from(pattern);
  let s = Array.from(name);
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return !s.includes('/');
    const t = matchChunk(chunk, s);
    if (t !== undefined && (t.length === 0 || p.length > 0)) {
      s = t;
      continue;
    }
    if (star) {
      for (let i = 0; i < s.length && s[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, s.slice(i + 1));
        if (t2 !== undefined) {
          if (p.length === 0 && t2.length > 0) continue;
          s = t2;
          continue outer;
        }
      }
    }
    // No match: Go still reports a malformed remainder of the pattern.
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return s.length === 0;
}
