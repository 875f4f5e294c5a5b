/**
 * Tokenizer for Go text/template syntax. It follows Go's lexer state by state, so that trim
 * markers, comments and the odd corner cases (`{{3 -}}`, `.5`, `$`) split the same way and
 * errors carry the same wording; the whole input is tokenized up front because templates are
 * tiny and the parser then needs no coroutine.
 */

import { KEYWORDS, type Item, type ItemType } from './items.ts';
import { goQuote } from './quote.ts';
import {
  countNewlines,
  hasLeftTrimMarker,
  hasRightTrimMarker,
  isAlphaNumeric,
  isSpace,
  LEFT,
  LEFT_COMMENT,
  Lexer,
  RIGHT,
  RIGHT_COMMENT,
  TRIM_LEN,
  type StateFn,
} from './scanner.ts';

export function lex(input: string): Item[] {
  const l = new Lexer(input);
  let state: StateFn = lexText;
  while (state) state = state(l);
  return l.items;
}

function lexText(l: Lexer): StateFn {
  const x = l.input.indexOf(LEFT, l.pos);
  if (x < 0) {
    l.pos = l.input.length;
    if (l.pos > l.start) {
      l.line += countNewlines(l.input.slice(l.start, l.pos));
      l.emit('text');
    }
    l.emit('eof');
    return null;
  }
  l.pos = x;
  let trimLength = 0;
  if (hasLeftTrimMarker(l.input, l.pos + LEFT.length)) {
    const before = l.input.slice(l.start, l.pos);
    trimLength = before.length - before.replace(/[ \t\r\n]+$/, '').length;
  }
  l.pos -= trimLength;
  if (l.pos > l.start) {
    l.line += countNewlines(l.input.slice(l.start, l.pos));
    l.emit('text');
  }
  l.pos += trimLength;
  l.ignore();
  return lexLeftDelim;
}

function leftTrimLength(s: string, from: number): number {
  let i = from;
  while (isSpace(s[i])) i++;
  return i - from;
}

function lexLeftDelim(l: Lexer): StateFn {
  l.pos += LEFT.length;
  const afterMarker = hasLeftTrimMarker(l.input, l.pos) ? TRIM_LEN : 0;
  if (l.input.startsWith(LEFT_COMMENT, l.pos + afterMarker)) {
    l.pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  l.emit('leftDelim');
  l.pos += afterMarker;
  l.ignore();
  l.parenDepth = 0;
  return lexInsideAction;
}

function lexComment(l: Lexer): StateFn {
  l.pos += LEFT_COMMENT.length;
  const i = l.input.indexOf(RIGHT_COMMENT, l.pos);
  if (i < 0) return l.errorf('unclosed comment');
  l.pos = i + RIGHT_COMMENT.length;
  const { delim, trim } = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  if (trim) l.pos += TRIM_LEN;
  l.pos += RIGHT.length;
  if (trim) l.pos += leftTrimLength(l.input, l.pos);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn {
  const trim = hasRightTrimMarker(l.input, l.pos);
  if (trim) {
    l.pos += TRIM_LEN;
    l.ignore();
  }
  l.pos += RIGHT.length;
  l.emit('rightDelim');
  if (trim) {
    l.pos += leftTrimLength(l.input, l.pos);
    l.ignore();
  }
  return lexText;
}

function describeRune(c: string): string {
  const cp = c.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

function lexInsideAction(l: Lexer): StateFn {
  if (l.atRightDelim().delim) {
    return l.parenDepth === 0 ? lexRightDelim : l.errorf('unclosed left paren');
  }
  const c = l.next();
  if (c === undefined) return l.errorf('unclosed action');
  if (isSpace(c)) {
    l.backup(); // the space may belong to a " -}}" trim marker
    return lexSpace;
  }
  switch (c) {
    case '=':
      l.emit('assign');
      return lexInsideAction;
    case ':':
      if (l.next() !== '=') return l.errorf('expected :=');
      l.emit('declare');
      return lexInsideAction;
    case '|':
      l.emit('pipe');
      return lexInsideAction;
    case '"':
      return lexQuote;
    case '`':
      return lexRawQuote;
    case '$':
      return lexVariable;
    case "'":
      return lexChar;
    case '(':
      l.emit('leftParen');
      l.parenDepth++;
      return lexInsideAction;
    case ')':
      l.emit('rightParen');
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf(`unexpected right paren ${describeRune(c)}`);
      return lexInsideAction;
  }
  if (c === '.') {
    const n = l.input[l.pos];
    // '.' followed by a digit starts a number such as .5; anything else is a field or dot.
    if (n !== undefined && (n < '0' || n > '9')) return lexField;
  }
  if (c === '.' || c === '+' || c === '-' || (c >= '0' && c <= '9')) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(c)) {
    l.backup();
    return lexIdentifier;
  }
  if (c.codePointAt(0)! <= 0x7f && c >= ' ' && c !== '\x7f') {
    l.emit('char');
    return lexInsideAction;
  }
  return l.errorf(`unrecognized character in action: ${describeRune(c)}`);
}

function lexSpace(l: Lexer): StateFn {
  let numSpaces = 0;
  while (isSpace(l.peek())) {
    l.next();
    numSpaces++;
  }
  // A space followed by "-}}" is the right trim marker, not an argument separator.
  if (hasRightTrimMarker(l.input, l.pos - 1) && l.input.startsWith(RIGHT, l.pos - 1 + TRIM_LEN)) {
    l.backup();
    if (numSpaces === 1) return lexRightDelim;
  }
  l.emit('space');
  return lexInsideAction;
}

function lexIdentifier(l: Lexer): StateFn {
  for (;;) {
    const c = l.next();
    if (isAlphaNumeric(c)) continue;
    l.backup();
    const word = l.input.slice(l.start, l.pos);
    if (!l.atTerminator()) return l.errorf(`bad character ${describeRune(c ?? '')}`);
    const keyword = KEYWORDS.get(word);
    if (keyword) l.emit(keyword);
    else if (word[0] === '.') l.emit('field');
    else if (word === 'true' || word === 'false') l.emit('bool');
    else l.emit('identifier');
    return lexInsideAction;
  }
}

function lexField(l: Lexer): StateFn {
  return lexFieldOrVariable(l, 'field');
}

function lexVariable(l: Lexer): StateFn {
  return lexFieldOrVariable(l, 'variable');
}

function lexFieldOrVariable(l: Lexer, type: 'field' | 'variable'): StateFn {
  if (l.atTerminator()) {
    // Nothing follows: a lone "." is dot, a lone "$" is the root variable.
    l.emit(type === 'variable' ? 'variable' : 'dot');
    return lexInsideAction;
  }
  let c: string | undefined;
  for (;;) {
    c = l.next();
    if (!isAlphaNumeric(c)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${describeRune(c ?? '')}`);
  l.emit(type);
  return lexInsideAction;
}

function lexQuoted(l: Lexer, quote: string, type: ItemType, what: string): StateFn {
  for (;;) {
    let c = l.next();
    if (c === '\\') {
      c = l.next();
      if (c !== undefined && c !== '\n') continue;
    }
    if (c === undefined || c === '\n') return l.errorf(`unterminated ${what}`);
    if (c === quote) break;
  }
  l.emit(type);
  return lexInsideAction;
}

function lexChar(l: Lexer): StateFn {
  return lexQuoted(l, "'", 'charConstant', 'character constant');
}

function lexQuote(l: Lexer): StateFn {
  return lexQuoted(l, '"', 'string', 'quoted string');
}

function lexRawQuote(l: Lexer): StateFn {
  for (;;) {
    const c = l.next();
    if (c === undefined) return l.errorf('unterminated raw quoted string');
    if (c === '`') break;
  }
  l.emit('rawString');
  return lexInsideAction;
}

function lexNumber(l: Lexer): StateFn {
  if (!scanNumber(l))
    return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
  const sign = l.peek();
  if (sign === '+' || sign === '-') {
    // Complex constant such as 1+2i.
    if (!scanNumber(l) || l.input[l.pos - 1] !== 'i') {
      return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
    }
    l.emit('complex');
  } else {
    l.emit('number');
  }
  return lexInsideAction;
}

function scanNumber(l: Lexer): boolean {
  l.accept('+-');
  let digits = '0123456789_';
  if (l.accept('0')) {
    if (l.accept('xX')) digits = '0123456789abcdefABCDEF_';
    else if (l.accept('oO')) digits = '01234567_';
    else if (l.accept('bB')) digits = '01_';
  }
  l.acceptRun(digits);
  if (l.accept('.')) l.acceptRun(digits);
  if (digits.length === 11 && l.accept('eE')) {
    l.accept('+-');
    l.acceptRun('0123456789_');
  }
  if (digits.length === 23 && l.accept('pP')) {
    l.accept('+-');
    l.acceptRun('0123456789_');
  }
  l.accept('i');
  if (isAlphaNumeric(l.peek())) {
    l.next();
    return false;
  }
  return true;
}
