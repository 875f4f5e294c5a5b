/**
 * Go's encoding/json output for JS values, so that `{{json .}}` and `docker inspect` print the
 * bytes docker prints: Go's string escapes (U+2028/U+2029 always, `<>&` as \u003c… unless
 * HTML escaping is off), Go maps with sorted keys, objects (structs) in their own key order.
 */
import { marshalJSON } from './marshal.ts';

export interface JSONOptions {
  /** Escape <, > and & as Go's json.Marshal does; docker's `json` template func turns it off. */
  escapeHTML: boolean;
  /** Indent unit for multi-line output (json.MarshalIndent); compact when absent. */
  indent?: string;
}

interface Marshaler {
  [marshalJSON]: () => string;
}

function isMarshaler(v: object): v is Marshaler {
  return typeof (v as Partial<Marshaler>)[marshalJSON] === 'function';
}

const HEX = '0123456789abcdef';
const NAMED_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A JSON string literal with Go's escaping. */
export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    const named = NAMED_ESCAPES[c];
    if (named) out += named;
    else if (cp < 0x20 || (escapeHTML && (c === '<' || c === '>' || c === '&'))) {
      out += `\\u00${HEX[cp >> 4]}${HEX[cp & 0xf]}`;
    } else if (cp === 0x2028 || cp === 0x2029) out += `\\u${cp.toString(16)}`;
    else if (cp >= 0xd800 && cp <= 0xdfff)
      out += '\\ufffd'; // lone surrogate: invalid UTF-8
    else out += c;
  }
  return `${out}"`;
}

function jsonNumber(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${formatSpecial(n)}`);
  // Go writes floats with exponents below 1e-6 and from 1e21, as JS does, in the same shape
  // (1e-7, 1.5e+300); ints beyond 1e21 cannot occur in Go.
  return String(n);
}

function formatSpecial(n: number): string {
  return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
}

/** Encodes a value as Go's encoding/json would; throws Error on NaN and infinities. */
export function goJSON(value: unknown, opts: JSONOptions): string {
  return encode(value, opts, '');
}

function encode(v: unknown, opts: JSONOptions, indent: string): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return String(v);
    case 'number':
    case 'bigint':
      return jsonNumber(v);
    case 'string':
      return jsonString(v, opts.escapeHTML);
    case 'function':
    case 'symbol':
      return 'null';
  }
  const obj = v as object;
  if (isMarshaler(obj)) return obj[marshalJSON]();
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return encode(toJSON.call(obj), opts, indent);
  if (Array.isArray(obj)) {
    return wrap(
      '[',
      obj.map((e) => encode(e, opts, indent + (opts.indent ?? ''))),
      ']',
      opts,
      indent,
    );
  }
  let entries: [string, unknown][];
  if (obj instanceof Map) {
    // Go maps encode with sorted keys.
    entries = [...obj.entries()].map(([k, val]) => [String(k), val] as [string, unknown]);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  } else {
    // As JSON.stringify: undefined and function members are left out.
    entries = Object.entries(obj).filter(
      ([, val]) => val !== undefined && typeof val !== 'function',
    );
  }
  const inner = indent + (opts.indent ?? '');
  const colon = opts.indent === undefined ? ':' : ': ';
  return wrap(
    '{',
    entries.map(([k, val]) => jsonString(k, opts.escapeHTML) + colon + encode(val, opts, inner)),
    '}',
    opts,
    indent,
  );
}

function wrap(open: string, parts: string[], close: string, opts: JSONOptions, indent: string) {
  if (parts.length === 0) return open + close;
  if (opts.indent === undefined) return open + parts.join(',') + close;
  const inner = indent + opts.indent;
  return `${open}\n${inner}${parts.join(`,\n${inner}`)}\n${indent}${close}`;
}
