/**
 * The functions docker's CLI adds to every template (docker/cli templates.basicFunctions), and
 * the stand-ins it uses when rendering a table header (templates.HeaderFunctions), where each
 * function returns the column title it is given so that `{{upper .Name}}` heads its column
 * with NAME.
 */

import { formatValue } from './fmt.ts';
import type { FuncMap, TemplateFunc } from './funcs.ts';
import { goJSON } from './gojson.ts';
import { kindOf, typeName, utf8Bytes, utf8Decode } from './value.ts';

/** strings.Split: an empty separator splits into characters. */
function split(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

function join(elems: unknown, sep: string): string {
  switch (kindOf(elems)) {
    case 'nil':
      return '';
    case 'slice':
      return (elems as unknown[]).map(formatValue).join(sep);
    case 'map':
    case 'object': {
      // Docker joins the values of a map, sorted "to keep a consistent order".
      const values = elems instanceof Map ? [...elems.values()] : Object.values(elems as object);
      return values.map(formatValue).sort().join(sep);
    }
  }
  throw new Error(`expected slice, got ${typeName(elems)}`);
}

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let prevIsSeparator = true;
  let out = '';
  for (const c of s) {
    out += prevIsSeparator ? c.toUpperCase() : c;
    prevIsSeparator = isSeparator(c);
  }
  return out;
}

/** Go's word boundary for strings.Title. */
function isSeparator(c: string): boolean {
  if (c.codePointAt(0)! <= 0x7f) return !/[A-Za-z0-9_]/.test(c);
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return /\s/u.test(c);
}

/** Surrounds a non-empty string with spaces. */
function pad(source: string, prefix: number, suffix: number): string {
  if (source === '') return source;
  if (prefix < 0 || suffix < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(prefix) + source + ' '.repeat(suffix);
}

/** Cuts to a number of bytes, as docker does on Go strings. */
function truncate(source: string, length: number): string {
  const bytes = utf8Bytes(source);
  if (bytes.length < length) return source;
  if (length < 0) throw new Error(`runtime error: slice bounds out of range [:${length}]`);
  return utf8Decode(bytes.slice(0, length));
}

function f(params: TemplateFunc['params'], fn: (...args: never[]) => unknown): TemplateFunc {
  return { params, fn };
}

export const dockerFuncs: FuncMap = {
  json: f(['any'], (v: unknown) => goJSON(v, { escapeHTML: false })),
  split: f(['string', 'string'], split),
  join: f(['any', 'string'], join),
  title: f(['string'], title),
  lower: f(['string'], (s: string) => s.toLowerCase()),
  upper: f(['string'], (s: string) => s.toUpperCase()),
  pad: f(['string', 'int', 'int'], pad),
  truncate: f(['string', 'int'], truncate),
};

const identity = (v: string): string => v;

/** Docker's HeaderFunctions: `pad` and Go's builtins stay as they are. */
export const headerFuncs: FuncMap = {
  json: f(['string'], identity),
  split: f(['string', 'string'], identity),
  join: f(['string', 'string'], identity),
  title: f(['string'], identity),
  lower: f(['string'], identity),
  upper: f(['string'], identity),
  truncate: f(['string', 'int'], identity),
};
