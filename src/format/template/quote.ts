/**
 * Go's string quoting rules (strconv.Quote / Unquote), needed for string literals in templates,
 * for `%q` in printf and for the quoted names in Go's error messages.
 */

const HEX = '0123456789abcdef';

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(c: string): boolean {
  return c === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c);
}

function hex(n: number, width: number): string {
  let s = '';
  for (let i = width - 1; i >= 0; i--) s += HEX[(n >> (i * 4)) & 0xf];
  return s;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** Escapes one code point the way strconv.Quote does inside a quote of kind `quote`. */
export function quoteRune(c: string, quote: string, asciiOnly: boolean): string {
  if (c === quote || c === '\\') return `\\${c}`;
  const cp = c.codePointAt(0)!;
  const isLoneSurrogate = cp >= 0xd800 && cp <= 0xdfff;
  if (isLoneSurrogate) return '\\ufffd';
  if ((!asciiOnly || cp < 0x80) && isPrint(c)) return c;
  const simple = SIMPLE_ESCAPES[c];
  if (simple) return simple;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** strconv.Quote, or QuoteToASCII when asciiOnly. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const c of s) out += quoteRune(c, '"', asciiOnly);
  return `${out}"`;
}

/** strconv.CanBackquote: whether s can be written as a raw `…` string unchanged. */
export function canBackquote(s: string): boolean {
  for (const c of s) {
    if (c === '`' || c === '\ufeff') return false;
    const cp = c.codePointAt(0)!;
    if ((cp < 0x20 && c !== '\t') || cp === 0x7f) return false;
  }
  return true;
}

/** The letter after a backslash → the byte it stands for. */
const UNESCAPES: ReadonlyMap<string, number> = new Map(
  Object.entries(SIMPLE_ESCAPES).map(([raw, esc]) => [esc.slice(1), raw.charCodeAt(0)]),
);

class UnquoteError extends Error {
  constructor() {
    super('invalid syntax'); // strconv.ErrSyntax, which Go's template parser reports verbatim
  }
}

/**
 * Decodes the body of a Go quoted literal into bytes, since `\x` and octal escapes denote bytes
 * that only together form UTF-8.
 */
function unescape(body: string, quote: string): number[] {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  const pushRune = (cp: number): void => {
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new UnquoteError();
    bytes.push(...encoder.encode(String.fromCodePoint(cp)));
  };
  let i = 0;
  while (i < body.length) {
    const c = String.fromCodePoint(body.codePointAt(i)!);
    i += c.length;
    if (c === quote) throw new UnquoteError();
    if (c !== '\\') {
      bytes.push(...encoder.encode(c));
      continue;
    }
    const e = body[i++];
    const simple = e === undefined ? undefined : UNESCAPES.get(e);
    if (simple !== undefined) {
      bytes.push(simple);
    } else if (e === '\\' || (e === quote && quote !== '`')) {
      bytes.push(e.charCodeAt(0));
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const digits = body.slice(i, i + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) throw new UnquoteError();
      i += n;
      const v = parseInt(digits, 16);
      if (e === 'x') bytes.push(v);
      else pushRune(v);
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const digits = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(digits)) throw new UnquoteError();
      i += 2;
      const v = parseInt(digits, 8);
      if (v > 255) throw new UnquoteError();
      bytes.push(v);
    } else {
      throw new UnquoteError();
    }
  }
  return bytes;
}

/**
 * strconv.Unquote for the literal forms a template may contain: "…", `…` and '…' (the last
 * yields the code point as a one-character string). Throws an Error saying "invalid syntax".
 */
export function goUnquote(literal: string): string {
  const quote = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== quote) throw new UnquoteError();
  const body = literal.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new UnquoteError();
    return body.replaceAll('\r', ''); // Go drops carriage returns from raw strings
  }
  if ((quote !== '"' && quote !== "'") || body.includes('\n')) throw new UnquoteError();
  return new TextDecoder().decode(new Uint8Array(unescape(body, quote)));
}

/** The code point a Go character constant such as 'a', '\n' or '\x41' stands for. */
export function goUnquoteChar(literal: string): number {
  const body = literal.slice(1, -1);
  // A byte escape is the rune of that value, not a UTF-8 byte.
  const byteEscape = /^\\(?:x([0-9a-fA-F]{2})|([0-7]{3}))$/.exec(body);
  if (byteEscape) {
    const v = byteEscape[1] ? parseInt(byteEscape[1], 16) : parseInt(byteEscape[2]!, 8);
    if (v > 255) throw new UnquoteError();
    return v;
  }
  const chars = [...goUnquote(literal)];
  if (chars.length === 0) throw new UnquoteError();
  if (chars.length !== 1) throw new Error(`malformed character constant: ${literal}`);
  return chars[0]!.codePointAt(0)!;
}
