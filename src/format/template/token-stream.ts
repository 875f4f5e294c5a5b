/**
 * The parser's view of the token list: Go's parser reads through a lookahead buffer with
 * backup; here the items are all known, so backing up is moving an index. Also holds the state
 * the grammar productions share and the error reporting they all use.
 */

import { describeItem, type Item, type ItemType } from './items.ts';
import { lex } from './lexer.ts';
import { goUnquote } from './quote.ts';

/** A parse failure; the message is Go's, e.g. `template: :1: function "foo" not defined`. */
export class TemplateParseError extends Error {}

export class TokenStream {
  private readonly items: Item[];
  private i = 0;
  /** Index of the furthest item read; Go reports parse errors at that item's line. */
  private furthest = 0;
  /** Names of the functions a template may call. */
  protected readonly funcs: ReadonlySet<string>;
  /** Variables in scope. */
  protected vars: string[] = ['$'];
  /** How many {{range}} enclose the current position: {{break}} needs one. */
  protected rangeDepth = 0;
  /** Line of the action being parsed, for errors that end it on another line. */
  protected actionLine = 0;

  constructor(text: string, funcs: ReadonlySet<string>) {
    this.items = lex(text);
    this.funcs = funcs;
  }

  /** A position to return to with reset(). */
  protected mark(): number {
    return this.i;
  }

  protected reset(mark: number): void {
    this.i = mark;
  }

  private item(index: number): Item {
    // The lexer always ends with an eof or error item, and the parser stops at either.
    return this.items[Math.min(index, this.items.length - 1)]!;
  }

  protected next(): Item {
    const it = this.item(this.i);
    this.furthest = Math.max(this.furthest, this.i);
    this.i++;
    return it;
  }

  protected backup(): void {
    this.i--;
  }

  protected peek(): Item {
    this.furthest = Math.max(this.furthest, this.i);
    return this.item(this.i);
  }

  protected nextNonSpace(): Item {
    let it = this.next();
    while (it.type === 'space') it = this.next();
    return it;
  }

  /** Skips spaces (as Go's peekNonSpace does) and returns the next item without taking it. */
  protected peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }

  // ---- errors ----

  protected errorf(message: string): never {
    throw new TemplateParseError(`template: :${this.item(this.furthest).line}: ${message}`);
  }

  protected unexpected(token: Item, context: string): never {
    if (token.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at :${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${token.val}${extra}`);
    }
    this.errorf(`unexpected ${describeItem(token)} in ${context}`);
  }

  protected expect(expected: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.type !== expected) this.unexpected(token, context);
    return token;
  }

  protected unquote(literal: string): string {
    try {
      return goUnquote(literal);
    } catch (err) {
      this.errorf((err as Error).message);
    }
  }
}
