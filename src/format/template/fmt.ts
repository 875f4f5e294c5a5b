/**
 * Go's fmt package for the values a template sees: what `{{.X}}` prints (%v), and the print,
 * println and printf functions, with Go's verbs, flags, width, precision and its in-band
 * error strings such as `%!d(string=x)` and `%!s(MISSING)`.
 */

import { formatFloat, type FloatFormat } from './floatfmt.ts';
import { canBackquote, goQuote, quoteRune } from './quote.ts';
import { kindOf, sortedEntries, typeName, utf8Bytes } from './value.ts';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** Set by %#v: strings print quoted. */
  sharpV: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function noFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    sharpV: false,
    width: undefined,
    prec: undefined,
  };
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Pads to the width with spaces, or zeros when the 0 flag is set, as fmt.pad. */
function pad(s: string, f: Flags): string {
  if (f.width === undefined) return s;
  const n = f.width - runeCount(s);
  if (n <= 0) return s;
  const fill = (f.zero ? '0' : ' ').repeat(n);
  return f.minus ? s + fill : fill + s;
}

function withoutZero(f: Flags): Flags {
  return { ...f, zero: false };
}

const INT_BASES: Record<string, number> = { d: 10, v: 10, b: 2, o: 8, O: 8, x: 16, X: 16 };

function fmtInteger(n: bigint, verb: string, f: Flags): string {
  const base = INT_BASES[verb]!;
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let prec = 0;
  if (f.prec !== undefined) {
    prec = f.prec;
    if (prec === 0 && abs === 0n) return pad('', withoutZero(f)); // %.0d of 0 prints nothing
  } else if (f.zero && f.width !== undefined) {
    prec = f.width;
    if (negative || f.plus || f.space) prec--; // leave room for the sign
  }
  let digits = abs.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  digits = digits.padStart(prec, '0');
  if (f.sharp) {
    if (base === 2) digits = `0b${digits}`;
    else if (base === 8 && digits[0] !== '0') digits = `0${digits}`;
    else if (base === 16) digits = `0${verb}${digits}`;
  }
  if (verb === 'O') digits = `0o${digits}`;
  const sign = negative ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  return pad(sign + digits, withoutZero(f));
}

function fmtUnicode(cp: number, f: Flags): string {
  let s = `U+${cp
    .toString(16)
    .toUpperCase()
    .padStart(Math.max(4, f.prec ?? 0), '0')}`;
  if (f.sharp && cp <= 0x10ffff) {
    const c = String.fromCodePoint(cp);
    if (quoteRune(c, "'", false) === c) s += ` '${c}'`;
  }
  return pad(s, withoutZero(f));
}

function runeOf(cp: number): string {
  return cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)
    ? '\ufffd'
    : String.fromCodePoint(cp);
}

function fmtIntegerVerb(n: bigint, verb: string, f: Flags): string | undefined {
  switch (verb) {
    case 'v':
    case 'd':
    case 'b':
    case 'o':
    case 'O':
    case 'x':
    case 'X':
      return fmtInteger(n, verb, f);
    case 'c':
      return pad(runeOf(Number(n)), f);
    case 'q':
      return pad(`'${quoteRune(runeOf(Number(n)), "'", f.plus)}'`, f);
    case 'U':
      return fmtUnicode(Number(n), f);
  }
  return undefined;
}

const FLOAT_VERBS: Record<string, [FloatFormat, number]> = {
  v: ['g', -1],
  g: ['g', -1],
  G: ['G', -1],
  e: ['e', 6],
  E: ['E', 6],
  f: ['f', 6],
  F: ['f', 6],
};

function fmtFloat(x: number, verb: string, f: Flags): string | undefined {
  const spec = FLOAT_VERBS[verb];
  if (!spec) return undefined;
  let num = formatFloat(x, spec[0], f.prec ?? spec[1]);
  if (num[0] !== '-' && num[0] !== '+') num = `+${num}`;
  if (f.space && num[0] === '+' && !f.plus) num = ` ${num.slice(1)}`;
  if (num.endsWith('Inf') || num.endsWith('NaN')) {
    // Infinities and NaN are never zero padded; NaN shows a sign only when asked.
    if (num.endsWith('NaN') && !f.space && !f.plus) num = num.slice(1);
    return pad(num, withoutZero(f));
  }
  if (f.plus || num[0] !== '+') {
    if (f.zero && f.width !== undefined && f.width > num.length) {
      return num[0] + '0'.repeat(f.width - num.length) + num.slice(1);
    }
    return pad(num, f);
  }
  return pad(num.slice(1), f);
}

/** fmt's precision on strings counts runes. */
function truncateRunes(s: string, f: Flags): string {
  return f.prec === undefined ? s : [...s].slice(0, f.prec).join('');
}

function fmtHexBytes(s: string, verb: 'x' | 'X', f: Flags): string {
  let bytes = utf8Bytes(s);
  if (f.prec !== undefined && f.prec < bytes.length) bytes = bytes.slice(0, f.prec);
  if (bytes.length === 0) return f.width === undefined ? '' : pad('', f);
  const prefix = f.sharp ? `0${verb}` : '';
  const parts = [...bytes].map((b) => {
    const h = b.toString(16).padStart(2, '0');
    return verb === 'X' ? h.toUpperCase() : h;
  });
  const body = f.space ? parts.map((p) => prefix + p).join(' ') : prefix + parts.join('');
  return pad(body, withoutZero(f));
}

function fmtString(s: string, verb: string, f: Flags): string | undefined {
  switch (verb) {
    case 'v':
      if (f.sharpV) return fmtString(s, 'q', { ...f, sharp: false });
      return pad(truncateRunes(s, f), f);
    case 's':
      return pad(truncateRunes(s, f), f);
    case 'x':
    case 'X':
      return fmtHexBytes(s, verb, f);
    case 'q': {
      const t = truncateRunes(s, f);
      if (f.sharp && canBackquote(t)) return pad(`\`${t}\``, f);
      return pad(goQuote(t, f.plus), f);
    }
  }
  return undefined;
}

/** A class instance with its own toString plays the part of a Go fmt.Stringer. */
function stringerText(v: object): string | undefined {
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === null || proto === Object.prototype || Array.isArray(v)) return undefined;
  return v.toString === Object.prototype.toString ? undefined : v.toString();
}

class Printer {
  flags: Flags = noFlags();

  badVerb(verb: string, arg: unknown): string {
    if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
    return `%!${verb}(${typeName(arg)}=${this.printArg(arg, 'v', 0)})`;
  }

  printArg(arg: unknown, verb: string, depth: number): string {
    const f = this.flags;
    if (verb === 'T') return pad(typeName(arg), f);
    const kind = kindOf(arg);
    let out: string | undefined;
    switch (kind) {
      case 'invalid':
      case 'nil':
        if (verb === 'v') return depth > 0 ? '<nil>' : pad('<nil>', f);
        break;
      case 'bool':
        if (verb === 'v' || verb === 't') out = pad(String(arg), f);
        break;
      case 'int': {
        const n = BigInt(arg as number | bigint);
        out = fmtIntegerVerb(n, verb, f);
        // Go ints reject float verbs, but a JS integer may well be a float64 that happens to
        // be whole (a CPU percentage of 2), so float verbs format it as a float.
        if (out === undefined && verb in FLOAT_VERBS) out = fmtFloat(Number(arg), verb, f);
        break;
      }
      case 'float':
        out = fmtFloat(arg as number, verb, f);
        break;
      case 'string':
        out = fmtString(arg as string, verb, f);
        break;
      case 'slice':
        return `[${(arg as unknown[]).map((e) => this.printArg(e, verb, depth + 1)).join(' ')}]`;
      case 'map':
      case 'object': {
        const text = stringerText(arg as object);
        if (text !== undefined && 'vsxXq'.includes(verb)) {
          out = fmtString(text, verb, f);
          break;
        }
        const pairs = sortedEntries(arg as object).map(
          ([k, v]) => `${this.printArg(k, verb, depth + 1)}:${this.printArg(v, verb, depth + 1)}`,
        );
        return `map[${pairs.join(' ')}]`;
      }
      case 'func':
        if (verb === 'v') return pad('func', f);
        break;
    }
    return out ?? this.badVerb(verb, arg);
  }

  sprintf(format: string, args: unknown[]): string {
    let out = '';
    let argNum = 0;
    let i = 0;
    const end = format.length;
    const intArg = (): number | undefined => {
      if (argNum >= args.length) return undefined;
      const a = args[argNum++];
      return typeof a === 'number' && Number.isInteger(a) ? a : undefined;
    };
    while (i < end) {
      const pct = format.indexOf('%', i);
      if (pct < 0) {
        out += format.slice(i);
        break;
      }
      out += format.slice(i, pct);
      i = pct + 1;
      const f = noFlags();
      this.flags = f;
      for (; i < end; i++) {
        const c = format[i];
        if (c === '#') f.sharp = true;
        else if (c === '0')
          f.zero = !f.minus; // only pad with zeros on the left
        else if (c === '+') f.plus = true;
        else if (c === '-') {
          f.minus = true;
          f.zero = false;
        } else if (c === ' ') f.space = true;
        else break;
      }
      if (format[i] === '*') {
        i++;
        f.width = intArg();
        if (f.width === undefined) out += '%!(BADWIDTH)';
        else if (f.width < 0) {
          f.width = -f.width;
          f.minus = true;
          f.zero = false;
        }
      } else {
        const m = /^\d+/.exec(format.slice(i));
        if (m) {
          f.width = Number(m[0]);
          i += m[0].length;
        }
      }
      if (i + 1 < end && format[i] === '.') {
        i++;
        if (format[i] === '*') {
          i++;
          f.prec = intArg();
          if (f.prec !== undefined && f.prec < 0) f.prec = undefined;
          if (f.prec === undefined) out += '%!(BADPREC)';
        } else {
          const m = /^\d+/.exec(format.slice(i));
          f.prec = m ? Number(m[0]) : 0;
          i += m ? m[0].length : 0;
        }
      }
      if (i >= end) {
        out += '%!(NOVERB)';
        break;
      }
      const verb = String.fromCodePoint(format.codePointAt(i)!);
      i += verb.length;
      if (verb === '%') {
        out += '%';
      } else if (argNum >= args.length) {
        out += `%!${verb}(MISSING)`;
      } else {
        if (verb === 'v') {
          f.sharpV = f.sharp;
          f.sharp = false;
          f.plus = false;
        }
        out += this.printArg(args[argNum++], verb, 0);
      }
    }
    if (argNum < args.length) {
      this.flags = noFlags();
      const extra = args
        .slice(argNum)
        .map((a) =>
          a === null || a === undefined ? '<nil>' : `${typeName(a)}=${this.printArg(a, 'v', 0)}`,
        );
      out += `%!(EXTRA ${extra.join(', ')})`;
    }
    return out;
  }
}

/** fmt.Sprint(v): how a template action prints its value. */
export function formatValue(v: unknown): string {
  return new Printer().printArg(v, 'v', 0);
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: operands always separated by spaces, then a newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  return new Printer().sprintf(format, args);
}
