/**
 * The character-level machinery of the template lexer: a cursor over the input that tracks
 * lines and emits items, with the delimiter and character tests Go's lexer uses.
 */

import type { Item, ItemType } from './items.ts';

export const LEFT = '{{';
export const RIGHT = '}}';
export const LEFT_COMMENT = '/*';
export const RIGHT_COMMENT = '*/';
/** The trim marker is `-` plus one space: `{{- ` and ` -}}`. */
export const TRIM_LEN = 2;

export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

export function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && c !== '' && (c === '_' || /^[\p{L}\p{Nd}]$/u.test(c));
}

export function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

export function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

export function countNewlines(s: string): number {
  let n = 0;
  for (const c of s) if (c === '\n') n++;
  return n;
}

export type StateFn = ((l: Lexer) => StateFn) | null;

export class Lexer {
  readonly input: string;
  readonly items: Item[] = [];
  pos = 0;
  start = 0;
  line = 1;
  startLine = 1;
  parenDepth = 0;
  private atEOF = false;

  constructor(input: string) {
    this.input = input;
  }

  /** Consumes one code point; undefined at the end. */
  next(): string | undefined {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return undefined;
    }
    const c = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.pos += c.length;
    if (c === '\n') this.line++;
    return c;
  }

  backup(): void {
    if (this.atEOF || this.pos === 0) return;
    const low = this.input.charCodeAt(this.pos - 1);
    const isPair = low >= 0xdc00 && low <= 0xdfff && this.pos >= 2;
    this.pos -= isPair ? 2 : 1;
    if (this.input[this.pos] === '\n') this.line--;
  }

  peek(): string | undefined {
    const c = this.next();
    this.backup();
    return c;
  }

  emit(type: ItemType): void {
    this.items.push({
      type,
      pos: this.start,
      val: this.input.slice(this.start, this.pos),
      line: this.startLine,
    });
    this.start = this.pos;
    this.startLine = this.line;
  }

  ignore(): void {
    this.line += countNewlines(this.input.slice(this.start, this.pos));
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const c = this.next();
    if (c !== undefined && valid.includes(c)) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (;;) {
      const c = this.next();
      if (c === undefined || !valid.includes(c)) break;
    }
    this.backup();
  }

  errorf(message: string): StateFn {
    this.items.push({ type: 'error', pos: this.start, val: message, line: this.startLine });
    return null;
  }

  /** Whether the right delimiter (optionally preceded by a trim marker) starts here. */
  atRightDelim(): { delim: boolean; trim: boolean } {
    if (
      hasRightTrimMarker(this.input, this.pos) &&
      this.input.startsWith(RIGHT, this.pos + TRIM_LEN)
    ) {
      return { delim: true, trim: true };
    }
    return { delim: this.input.startsWith(RIGHT, this.pos), trim: false };
  }

  /** Whether the next character ends a field, variable or identifier. */
  atTerminator(): boolean {
    const c = this.peek();
    if (c === undefined || isSpace(c)) return true;
    if ('.,|:()'.includes(c)) return true;
    return this.input.startsWith(RIGHT, this.pos);
  }
}
