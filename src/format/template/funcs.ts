/**
 * Template functions: Go's text/template builtins. A function declares Go-like parameter types
 * so that the executor can check arguments and word errors as Go does; it throws an Error to
 * fail, reported as `error calling NAME: …`.
 */

import { sprint, sprintf, sprintln } from './fmt.ts';
import { quoteRune } from './quote.ts';
import {
  isTrue,
  kindOf,
  lookupField,
  mapSize,
  typeName,
  utf8Bytes,
  utf8Decode,
  zeroOfValues,
} from './value.ts';

/**
 * - `any`: Go's interface{}; a missing value arrives as null (nil).
 * - `value`: Go's reflect.Value; a missing value stays undefined.
 * - `string`, `int`, `bool`: must be of that type.
 */
export type ParamType = 'any' | 'value' | 'string' | 'int' | 'bool';

export interface TemplateFunc {
  params: ParamType[];
  /** Type of further arguments, for variadic functions. */
  variadic?: ParamType;
  fn: (...args: never[]) => unknown;
}

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

function fn<A extends unknown[]>(
  params: ParamType[],
  f: (...args: A) => unknown,
  variadic?: ParamType,
): TemplateFunc {
  return { params, fn: f as (...args: never[]) => unknown, ...(variadic ? { variadic } : {}) };
}

function isNil(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Go's basicKind, with int and float merged: JS cannot tell 2.0 from 2. */
function basicKind(v: unknown): 'bool' | 'number' | 'string' | undefined {
  const k = kindOf(v);
  if (k === 'int' || k === 'float') return 'number';
  return k === 'bool' || k === 'string' ? k : undefined;
}

function eq(arg1: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    let truth: boolean;
    if (k1 !== k2) {
      if (!isNil(arg1) && !isNil(arg)) throw new Error('incompatible types for comparison');
      truth = false;
    } else if (k1 !== undefined) {
      truth = arg1 === arg || (typeof arg1 === 'number' && Number(arg) === arg1);
    } else if (isNil(arg1) || isNil(arg)) {
      truth = isNil(arg1) === isNil(arg);
    } else {
      throw new Error(sprintf('non-comparable type %s: %v', [arg, typeName(arg)]));
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === undefined || k2 === undefined) throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  return (a as number | string) < (b as number | string);
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

function indexArg(index: unknown, cap: number): number {
  if (isNil(index)) throw new Error('cannot index slice/array with nil');
  if (kindOf(index) !== 'int') {
    throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  }
  const x = Number(index);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) throw new Error('index of untyped nil');
  for (const idx of indexes) {
    const kind = kindOf(item);
    if (kind === 'nil' && typeof idx === 'string') {
      // A nil map in docker's structs (image labels are often null): the zero string.
      item = '';
      continue;
    }
    if (kind === 'nil' || kind === 'invalid') throw new Error('index of nil pointer');
    if (kind === 'string' || kind === 'slice') {
      const seq = kind === 'string' ? utf8Bytes(item as string) : (item as unknown[]);
      const x = indexArg(idx, seq.length);
      if (x >= seq.length) throw new Error(`index out of range: ${x}`);
      item = seq[x];
    } else if (kind === 'map' || kind === 'object') {
      if (typeof idx !== 'string') {
        throw new Error(`value has type ${typeName(idx)}; should be string`);
      }
      const found = lookupField(item as object, idx);
      const values = item instanceof Map ? [...item.values()] : Object.values(item as object);
      item = found.found ? found.value : zeroOfValues(values);
    } else {
      throw new Error(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const kind = kindOf(item);
  if (kind === 'string' && indexes.length === 3) throw new Error('cannot 3-index slice a string');
  if (kind !== 'string' && kind !== 'slice') {
    throw new Error(`can't slice item of type ${typeName(item)}`);
  }
  const seq = kind === 'string' ? utf8Bytes(item as string) : (item as unknown[]);
  const idx = [0, seq.length, seq.length];
  indexes.forEach((x, i) => (idx[i] = indexArg(x, seq.length)));
  const [lo, hi, max] = idx as [number, number, number];
  if (lo > hi) throw new Error(`invalid slice index: ${lo} > ${hi}`);
  if (indexes.length === 3 && hi > max) throw new Error(`invalid slice index: ${hi} > ${max}`);
  return kind === 'string' ? utf8Decode((seq as Uint8Array).slice(lo, hi)) : seq.slice(lo, hi);
}

function length(item: unknown): number {
  switch (kindOf(item)) {
    case 'invalid':
    case 'nil':
      throw new Error('len of nil pointer');
    case 'string':
      return utf8Bytes(item as string).length;
    case 'slice':
      return (item as unknown[]).length;
    case 'map':
    case 'object':
      return mapSize(item as object);
  }
  throw new Error(`len of type ${typeName(item)}`);
}

function call(f: unknown, ...args: unknown[]): unknown {
  if (isNil(f)) throw new Error('call of nil');
  if (typeof f !== 'function') throw new Error(`non-function of type ${typeName(f)}`);
  return (f as (...a: unknown[]) => unknown)(...args);
}

/** The text html, js and urlquery escape: a lone string as is, else fmt.Sprint of all. */
function evalArgs(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args);
}

const HTML_ESCAPES: Record<string, string> = {
  '\0': '\ufffd',
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};

function html(...args: unknown[]): string {
  return evalArgs(args).replace(/[\0"'&<>]/g, (c) => HTML_ESCAPES[c]!);
}

const JS_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

function js(...args: unknown[]): string {
  let out = '';
  for (const c of evalArgs(args)) {
    const cp = c.codePointAt(0)!;
    if (JS_ESCAPES[c]) out += JS_ESCAPES[c];
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp >= 0x80 && quoteRune(c, '"', false) !== c) {
      out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    } else out += c;
  }
  return out;
}

function urlquery(...args: unknown[]): string {
  let out = '';
  for (const b of utf8Bytes(evalArgs(args))) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's predefined template functions. `and` and `or` are evaluated lazily by the executor. */
export const builtinFuncs: FuncMap = {
  and: fn(['value'], () => undefined, 'value'),
  or: fn(['value'], () => undefined, 'value'),
  not: fn(['value'], (v: unknown) => !isTrue(v)),
  len: fn(['value'], length),
  index: fn(['value'], index, 'value'),
  slice: fn(['value'], slice, 'value'),
  call: fn(['value'], call, 'value'),
  print: fn([], (...a: unknown[]) => sprint(a), 'any'),
  println: fn([], (...a: unknown[]) => sprintln(a), 'any'),
  printf: fn(['string'], (format: string, ...a: unknown[]) => sprintf(format, a), 'any'),
  html: fn([], html, 'any'),
  js: fn([], js, 'any'),
  urlquery: fn([], urlquery, 'any'),
  eq: fn(['value'], eq, 'value'),
  ne: fn(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: fn(['value', 'value'], lt),
  le: fn(['value', 'value'], le),
  gt: fn(['value', 'value'], (a: unknown, b: unknown) => !le(a, b)),
  ge: fn(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
};
