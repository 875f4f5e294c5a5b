/**
 * The expression half of Go's template grammar: pipelines, commands, operands and literals.
 */

import type { ArgNode, CommandNode, NumberNode, PipeNode, VariableNode } from './ast.ts';
import { nodeString } from './ast.ts';
import type { Item, ItemType } from './items.ts';
import { parseGoFloat, parseGoInt } from './numbers.ts';
import { goQuote, goUnquoteChar } from './quote.ts';
import { TokenStream } from './token-stream.ts';

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

export class PipelineParser extends TokenStream {
  protected pipeline(context: string, end: ItemType): PipeNode {
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
  protected declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const mark = this.mark();
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
      this.reset(mark); // not a declaration: the variable is an operand
      return;
    }
  }

  protected checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]!.kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  protected command(): CommandNode {
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

  protected operand(): ArgNode | undefined {
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
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { kind: 'chain', pos, node, fields };
    }
  }

  protected term(): ArgNode | undefined {
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

  protected useVar(pos: number, name: string): VariableNode {
    const ident = name.split('.');
    if (!this.vars.includes(ident[0]!)) this.errorf(`undefined variable ${goQuote(ident[0]!)}`);
    return { kind: 'variable', pos, ident };
  }

  protected newNumber(token: Item): NumberNode {
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
