/**
 * Parse tree of a template, shaped like Go's text/template/parse nodes so that the executor can
 * follow Go's evaluation rules and error messages can quote nodes the way Go prints them.
 * `pos` is the offset of the node in the template text, for "template: :LINE:COL:" locations.
 */

import { goQuote } from './quote.ts';

export interface TextNode {
  kind: 'text';
  pos: number;
  text: string;
}

export interface ActionNode {
  kind: 'action';
  pos: number;
  pipe: PipeNode;
}

export interface PipeNode {
  kind: 'pipe';
  pos: number;
  /** `$x := …` declares, `$x = …` assigns. */
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

export interface CommandNode {
  kind: 'command';
  pos: number;
  args: ArgNode[];
}

export interface FieldNode {
  kind: 'field';
  pos: number;
  /** `.A.B` → ['A', 'B'] */
  ident: string[];
}

export interface VariableNode {
  kind: 'variable';
  pos: number;
  /** `$x.A` → ['$x', 'A'] */
  ident: string[];
}

export interface ChainNode {
  kind: 'chain';
  pos: number;
  node: ArgNode;
  fields: string[];
}

export interface IdentifierNode {
  kind: 'identifier';
  pos: number;
  name: string;
}

export interface DotNode {
  kind: 'dot';
  pos: number;
}

export interface NilNode {
  kind: 'nil';
  pos: number;
}

export interface BoolNode {
  kind: 'bool';
  pos: number;
  value: boolean;
}

export interface NumberNode {
  kind: 'number';
  pos: number;
  text: string;
  /** Exact integer value when the literal denotes one. */
  int: number | undefined;
  /** Float value when the literal denotes a real number (ints are floats too). */
  float: number | undefined;
  /** Written like a float (1.0, 1e3): Go then gives it type float64 when untyped. */
  floatSyntax: boolean;
}

export interface StringNode {
  kind: 'string';
  pos: number;
  quoted: string;
  text: string;
}

export interface IfNode {
  kind: 'if' | 'with';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}

export interface RangeNode {
  kind: 'range';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}

export interface TemplateNode {
  kind: 'template';
  pos: number;
  name: string;
  pipe: PipeNode | undefined;
}

export interface BreakNode {
  kind: 'break' | 'continue';
  pos: number;
}

export interface CommentNode {
  kind: 'comment';
  pos: number;
}

export interface ListNode {
  kind: 'list';
  pos: number;
  nodes: Node[];
}

/** What may appear as an argument of a command. */
export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

/** What may appear in a list of a template body. */
export type Node =
  TextNode | ActionNode | IfNode | RangeNode | TemplateNode | BreakNode | CommentNode | ListNode;

export type AnyNode = Node | ArgNode | CommandNode;

/** Node.String() of Go: how error messages quote the node being evaluated. */
export function nodeString(n: AnyNode): string {
  switch (n.kind) {
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'pipe': {
      const decl = n.decl.length ? `${n.decl.map(nodeString).join(', ')} := ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args
        .map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a)))
        .join(' ');
    case 'field':
      return n.ident.map((id) => `.${id}`).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain': {
      const head = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return head + n.fields.map((f) => `.${f}`).join('');
    }
    case 'identifier':
      return n.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'if':
    case 'with':
    case 'range': {
      const body = nodeString(n.list);
      const alt = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.kind} ${nodeString(n.pipe)}}}${body}${alt}{{end}}`;
    }
    case 'template': {
      const pipe = n.pipe ? ` ${nodeString(n.pipe)}` : '';
      return `{{template ${goQuote(n.name)}${pipe}}}`;
    }
    case 'break':
    case 'continue':
      return `{{${n.kind}}}`;
    case 'comment':
      return '{{/* */}}';
    case 'list':
      return n.nodes.map(nodeString).join('');
  }
}
