/**
 * Executes a parsed template over JS data with Go's text/template semantics: the walk over
 * text and actions, if/with/range with their variable scopes, break/continue, and nested
 * templates. Evaluating what is inside an action is the Evaluator's part.
 */

import type { IfNode, Node, RangeNode, TemplateNode, AnyNode } from './ast.ts';
import { nodeString } from './ast.ts';
import { Evaluator, TemplateExecError, type Program } from './evaluator.ts';
import { formatValue } from './fmt.ts';
import type { FuncMap } from './funcs.ts';
import { goQuote } from './quote.ts';
import { isTrue, kindOf, sortedEntries } from './value.ts';

/** Nested {{template}} calls allowed before giving up on a runaway recursion. */
const MAX_DEPTH = 200;

type Signal = 'break' | 'continue' | undefined;

export function executeProgram(program: Program, funcs: FuncMap, data: unknown): string {
  const state = new State(program, funcs, data);
  try {
    state.walk(data, program.root);
  } catch (err) {
    if (err instanceof TemplateExecError) err.partial = state.out.join('');
    throw err;
  }
  return state.out.join('');
}

class State extends Evaluator {
  readonly out: string[] = [];
  private depth = 0;

  walk(dot: unknown, node: Node): Signal {
    this.at(node);
    switch (node.kind) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        // A declaration such as {{$x := 1}} prints nothing.
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return undefined;
      }
      case 'comment':
        return undefined;
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'list':
        for (const n of node.nodes) {
          const signal = this.walk(dot, n);
          if (signal) return signal;
        }
        return undefined;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        this.walkTemplate(dot, node);
        return undefined;
      case 'text':
        this.out.push(node.text);
        return undefined;
      case 'break':
      case 'continue':
        return node.kind;
    }
  }

  private walkIfOrWith(dot: unknown, node: IfNode): Signal {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) return this.walk(node.kind === 'with' ? val : dot, node.list);
      return node.elseList ? this.walk(dot, node.elseList) : undefined;
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, r: RangeNode): Signal {
    this.at(r);
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const bodyMark = this.vars.length;
      const decls = r.pipe.decl.length;
      /** Runs the body once; true when it says {{break}}. */
      const iterate = (key: unknown, elem: unknown): boolean => {
        // The last declared variable gets the element, the one before it the key.
        if (decls > 0) this.vars[bodyMark - 1]!.value = elem;
        if (decls > 1) this.vars[bodyMark - 2]!.value = key;
        const signal = this.walk(elem, r.list);
        this.vars.length = bodyMark;
        return signal === 'break';
      };
      let ran = false;
      switch (kindOf(val)) {
        case 'slice':
          for (const [i, e] of (val as unknown[]).entries()) {
            ran = true;
            if (iterate(i, e)) break;
          }
          break;
        case 'map':
        case 'object':
          for (const [k, v] of sortedEntries(val as object)) {
            ran = true;
            if (iterate(k, v)) break;
          }
          break;
        case 'int':
          // Go 1.22 ranges over 0..n-1, with a single variable only.
          if (decls > 1)
            this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
          for (let i = 0; i < Number(val); i++) {
            ran = true;
            if (iterate(i, i)) break;
          }
          break;
        case 'invalid':
        case 'nil':
          break; // like an empty map
        default:
          this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && r.elseList) return this.walk(dot, r.elseList);
      return undefined;
    } finally {
      this.vars.length = mark;
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const body = this.program.defined.get(t.name);
    if (!body) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const saved = { vars: this.vars, name: this.name };
    // No dynamic scoping: the invoked template sees only $, set to its dot.
    this.vars = [{ name: '$', value: newDot }];
    this.name = t.name;
    this.depth++;
    try {
      this.walk(newDot, body);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.name = saved.name;
    }
  }

  private printValue(node: AnyNode, v: unknown): void {
    this.at(node);
    if (v === undefined) {
      this.out.push('<no value>');
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(node)} of type func`);
    this.out.push(formatValue(v));
  }
}
