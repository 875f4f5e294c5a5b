/**
 * Recursive-descent parser for Go text/template, following Go's parse package production by
 * production so that what parses, and what error a bad template gets, match docker's CLI.
 */

import type {
  ActionNode,
  IfNode,
  ListNode,
  Node,
  PipeNode,
  RangeNode,
  TemplateNode,
} from './ast.ts';
import type { Item } from './items.ts';
import { PipelineParser } from './pipeline-parser.ts';
import { goQuote } from './quote.ts';

export { TemplateParseError } from './token-stream.ts';

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

class Parser extends PipelineParser {
  private readonly defined = new Map<string, ListNode>();

  parse(): ParsedTemplate {
    const root = this.newList(this.peek().pos);
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const mark = this.mark();
        this.next();
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition();
          continue;
        }
        this.reset(mark);
      }
      const n = this.textOrAction();
      if (isDelimiter(n)) this.errorf(`unexpected ${delimiterString(n)}`);
      root.nodes.push(n);
    }
    this.add('', root);
    return { root, defined: this.defined };
  }

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
        if (rest.end.kind !== 'end')
          this.errorf(`expected end; found ${delimiterString(rest.end)}`);
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
}
