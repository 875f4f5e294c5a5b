/**
 * Recursive-descent parser for Go text/template, following Go's parse package production by
 * production so that what parses, and what error a bad template gets, match docker's CLI.
 */

import type {
  ActionNode,
  ArgNode,
  CommandNode,
  IfNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  RangeNode,
  TemplateNode,
  VariableNode,
} from './ast.ts';
import { nodeString } from './ast.ts';
import { describeItem, lex, type Item, type ItemType } from './lexer.ts';
import { goQuote, goUnquote, goUnquoteChar } from './quote.ts';

/** A parse failure; the message is Go's, e.g. `template: :1: function "foo" not defined`. */
export class TemplateParseError extends Error {}

export interface ParsedTemplate {
  root: ListNode;
  /** Templates named by {{define}} or {{block}}, plus the top level under "". */
  defined: Map<string, ListNode>;
}

/** `{{end}}` and `{{else}}` close a list; they never reach the tree. */
interface Delimiter {
  kind: 'end' | 'else';
  pos: number;
}

const OPERAND_START: ReadonlySet<ItemType> = new Set<ItemType>([
  'bool',
  'charConstant',
  'complex',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);

export function parseTemplate(text: string, funcs: ReadonlySet<string>): ParsedTemplate {
  return new Parser(text, funcs).parse();
}

function isDelimiter(n: Node | Delimiter): n is Delimiter {
  return n.kind === 'end' || n.kind === 'else';
}

function delimiterString(d: Delimiter): string {
  return `{{${d.kind}}}`;
}

function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every(
    (n) => n.kind === 'comment' || (n.kind === 'text' && n.text.trim() === ''),
  );
}

class Parser {
  private readonly items: Item[];
  private readonly funcs: ReadonlySet<string>;
  private readonly defined = new Map<string, ListNode>();
  private i = 0;
  /** Index of the furthest item read; Go reports parse errors at that item's line. */
  private furthest = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;

  constructor(text: string, funcs: ReadonlySet<string>) {
    this.items = lex(text);
    this.funcs = funcs;
  }

  parse(): ParsedTemplate {
    const root = this.newList(this.peek().pos);
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const mark = this.i;
        this.next();
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = mark;
      }
      const n = this.textOrAction();
      if (isDelimiter(n)) this.errorf(`unexpected ${delimiterString(n)}`);
      root.nodes.push(n);
    }
    this.add('', root);
    return { root, defined: this.defined };
  }

  // ---- token stream ----

  private item(index: number): Item {
    // The lexer always ends with an eof or error item, and the parser stops at either.
    return this.items[Math.min(index, this.items.length - 1)]!;
  }

  private next(): Item {
    const it = this.item(this.i);
    this.furthest = Math.max(this.furthest, this.i);
    this.i++;
    return it;
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Item {
    this.furthest = Math.max(this.furthest, this.i);
    return this.item(this.i);
  }

  private nextNonSpace(): Item {
    let it = this.next();
    while (it.type === 'space') it = this.next();
    return it;
  }

  /** Skips spaces (as Go's peekNonSpace does) and returns the next item without taking it. */
  private peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }

  // ---- errors ----

  private errorf(message: string): never {
    throw new TemplateParseError(`template: :${this.item(this.furthest).line}: ${message}`);
  }

  private unexpected(token: Item, context: string): never {
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

  private expect(expected: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.type !== expected) this.unexpected(token, context);
    return token;
  }

  // ---- structure ----

  private newList(pos: number): ListNode {
    return { kind: 'list', pos, nodes: [] };
  }

  private add(name: string, list: ListNode): void {
    const existing = this.defined.get(name);
    if (existing === undefined || isEmptyTree(existing)) {
      this.defined.set(name, list);
    } else if (!isEmptyTree(list)) {
      this.errorf(`template: multiple definition of template ${goQuote(name)}`);
    }
  }

  /** Parses a {{define}} or {{block}} body: a separate template with its own variables. */
  private parseSeparateBody(context: string): ListNode {
    const saved = { vars: this.vars, rangeDepth: this.rangeDepth };
    this.vars = ['$'];
    this.rangeDepth = 0;
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.errorf(`unexpected ${delimiterString(end)} in ${context}`);
    this.vars = saved.vars;
    this.rangeDepth = saved.rangeDepth;
    return list;
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const token = this.nextNonSpace();
    if (token.type !== 'string' && token.type !== 'rawString') this.unexpected(token, context);
    const name = this.unquote(token.val);
    this.expect('rightDelim', context);
    this.add(name, this.parseSeparateBody(context));
  }

  private itemList(): { list: ListNode; end: Delimiter } {
    const list = this.newList(this.peekNonSpace().pos);
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (isDelimiter(n)) return { list, end: n };
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | Delimiter {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'text':
        return { kind: 'text', pos: token.pos, text: token.val };
      case 'leftDelim':
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      default:
        this.unexpected(token, 'input');
    }
  }

  private action(): Node | Delimiter {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'block':
        return this.blockControl();
      case 'break':
      case 'continue':
        return this.loopControl(token);
      case 'else':
        return this.elseControl();
      case 'end':
        return { kind: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
        return this.ifControl('if');
      case 'range':
        return this.rangeControl();
      case 'template':
        return this.templateControl();
      case 'with':
        return this.ifControl('with');
    }
    this.backup();
    const action: ActionNode = {
      kind: 'action',
      pos: this.peek().pos,
      pipe: this.pipeline('command', 'rightDelim'),
    };
    return action;
  }

  private loopControl(token: Item): Node {
    const kind = token.type === 'break' ? 'break' : 'continue';
    const after = this.nextNonSpace();
    if (after.type !== 'rightDelim') this.unexpected(after, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { kind, pos: token.pos };
  }

  private elseControl(): Delimiter {
    const peek = this.peekNonSpace();
    // "else if" / "else with": the keyword is left for parseControl to chain on.
    if (peek.type === 'if' || peek.type === 'with') return { kind: 'else', pos: peek.pos };
    return { kind: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private parseControl(context: 'if' | 'with' | 'range') {
    const varMark = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const { list, end } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (end.kind === 'else') {
      // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}}.
      const chained = this.peek().type;
      if ((context === 'if' || context === 'with') && chained === context) {
        this.next();
        elseList = this.newList(end.pos);
        elseList.nodes.push(this.ifControl(context));
      } else {
        const rest = this.itemList();
        if (rest.end.kind !== 'end') this.errorf(`expected end; found ${delimiterString(rest.end)}`);
        elseList = rest.list;
      }
    }
    this.vars.length = varMark;
    return { pos: pipe.pos, pipe, list, elseList };
  }

  private ifControl(kind: 'if' | 'with'): IfNode {
    return { kind, ...this.parseControl(kind) };
  }

  private rangeControl(): RangeNode {
    return { kind: 'range', ...this.parseControl('range') };
  }

  private templateName(token: Item, context: string): string {
    if (token.type !== 'string' && token.type !== 'rawString') this.unexpected(token, context);
    return this.unquote(token.val);
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, 'rightDelim');
    this.add(name, this.parseSeparateBody(context));
    return { kind: 'template', pos: token.pos, name, pipe };
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { kind: 'template', pos: token.pos, name, pipe };
  }

  // ---- pipelines ----

  private pipeline(context: string, end: ItemType): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: start.pos, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      if (!OPERAND_START.has(token.type)) this.unexpected(token, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  /** `$x :=`, `$x =` and, for range, `$i, $v :=`. */
  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const mark = this.i;
      this.next();
      const after = this.peekNonSpace();
      const declare = (): void => {
        this.nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
      };
      if (after.type === 'assign' || after.type === 'declare') {
        pipe.isAssign = after.type === 'assign';
        declare();
        return;
      }
      if (after.type === 'char' && after.val === ',') {
        declare();
        if (context === 'range' && pipe.decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = mark; // not a declaration: the variable is an operand
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]!.kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.backup();
      else if (token.type !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { kind: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { kind: 'chain', pos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    const pos = token.pos;
    switch (token.type) {
      case 'identifier':
        if (!this.funcs.has(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`);
        return { kind: 'identifier', pos, name: token.val };
      case 'dot':
        return { kind: 'dot', pos };
      case 'nil':
        return { kind: 'nil', pos };
      case 'variable':
        return this.useVar(pos, token.val);
      case 'field':
        return { kind: 'field', pos, ident: [token.val.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos, value: token.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.newNumber(token);
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { kind: 'string', pos, quoted: token.val, text: this.unquote(token.val) };
    }
    this.backup();
    return undefined;
  }

  private useVar(pos: number, name: string): VariableNode {
    const ident = name.split('.');
    if (!this.vars.includes(ident[0]!)) this.errorf(`undefined variable ${goQuote(ident[0]!)}`);
    return { kind: 'variable', pos, ident };
  }

  private unquote(literal: string): string {
    try {
      return goUnquote(literal);
    } catch (err) {
      this.errorf((err as Error).message);
    }
  }

  private newNumber(token: Item): NumberNode {
    const base = { kind: 'number' as const, pos: token.pos, text: token.val };
    if (token.type === 'charConstant') {
      let cp: number;
      try {
        cp = goUnquoteChar(token.val);
      } catch (err) {
        this.errorf((err as Error).message);
      }
      return { ...base, int: cp, float: cp, floatSyntax: false };
    }
    if (token.type === 'complex' || token.val.endsWith('i')) {
      this.errorf(`complex numbers are not supported: ${goQuote(token.val)}`);
    }
    const text = token.val;
    const int = parseGoInt(text);
    if (int !== undefined) return { ...base, int, float: int, floatSyntax: false };
    const float = parseGoFloat(text);
    if (float === undefined) this.errorf(`illegal number syntax: ${goQuote(text)}`);
    if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${goQuote(text)}`);
    const isInt = Number.isInteger(float) && Math.abs(float) < 2 ** 63;
    const isHexInt = /^[+-]?0[xX]/.test(text) && !/[pP]/.test(text);
    return { ...base, int: isInt ? float : undefined, float, floatSyntax: !isHexInt };
  }
}

/** strconv.ParseInt(text, 0, 64): optional sign, 0x/0o/0b/0 prefixes, `_` between digits. */
function parseGoInt(text: string): number | undefined {
  const m = /^([+-]?)(0[xXoObB])?(.+)$/.exec(text);
  if (!m) return undefined;
  const [, sign, prefix, body] = m as unknown as [string, string, string | undefined, string];
  const letter = prefix?.[1]?.toLowerCase();
  const radix = letter === 'x' ? 16 : letter === 'o' ? 8 : letter === 'b' ? 2 : undefined;
  const leadingZeroOctal = radix === undefined && body.length > 1 && body[0] === '0';
  const digitClass = { 16: '0-9a-fA-F', 8: '0-7', 2: '01', 10: '0-9' }[
    radix ?? (leadingZeroOctal ? 8 : 10)
  ];
  // Underscores only between digits, or right after a base prefix.
  const lead = prefix ? '_?' : '';
  if (!new RegExp(`^${lead}[${digitClass}]+(_[${digitClass}]+)*$`).test(body)) return undefined;
  const digits = body.replaceAll('_', '');
  const js = radix ? `0${letter}${digits}` : leadingZeroOctal ? `0o${digits}` : digits;
  const value = sign === '-' ? -BigInt(js) : BigInt(js);
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) return undefined;
  return Number(value);
}

/** strconv.ParseFloat for the decimal forms templates use in practice. */
function parseGoFloat(text: string): number | undefined {
  const plain = text.replaceAll('_', '');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(plain)) return undefined;
  return Number(plain);
}
