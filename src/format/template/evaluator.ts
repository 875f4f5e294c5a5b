/**
 * Evaluation of pipelines with Go's text/template rules: commands, field chains, method and
 * function calls with Go's argument checks, and errors located and worded as Go words them
 * (`template: :1:2: executing "" at <.Foo>: …`).
 */

import type {
  AnyNode,
  ArgNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  NumberNode,
  PipeNode,
  VariableNode,
} from './ast.ts';
import { nodeString } from './ast.ts';
import type { FuncMap, ParamType, TemplateFunc } from './funcs.ts';
import { goQuote } from './quote.ts';
import { isStructLike, isTrue, kindOf, lookupField, typeName } from './value.ts';

/** An execution failure; `partial` is what had been written before it, as Go leaves it. */
export class TemplateExecError extends Error {
  partial = '';
}

export interface Program {
  text: string;
  root: ListNode;
  defined: ReadonlyMap<string, ListNode>;
}

/** Go's missingVal: no previous pipeline stage feeds this command. */
const NO_FINAL: unique symbol = Symbol('no final argument');
type Final = unknown;

interface Variable {
  name: string;
  value: unknown;
}

type Method = (...args: unknown[]) => unknown;

export class Evaluator {
  protected readonly program: Program;
  private readonly funcs: FuncMap;
  /** The variable stack: $ at the bottom, then declarations in scope. */
  protected vars: Variable[];
  /** The node being evaluated, for error locations. */
  private node: AnyNode | undefined;
  /** Name of the template executing ("" for the top level). */
  protected name = '';

  constructor(program: Program, funcs: FuncMap, data: unknown) {
    this.program = program;
    this.funcs = funcs;
    this.vars = [{ name: '$', value: data }];
  }

  // ---- errors ----

  protected at(node: AnyNode): void {
    this.node = node;
  }

  protected errorf(message: string): never {
    if (!this.node) throw new TemplateExecError(`template: ${this.name}: ${message}`);
    const before = this.program.text.slice(0, this.node.pos);
    const lineStart = before.lastIndexOf('\n') + 1;
    const line = before.split('\n').length;
    const col = Buffer.byteLength(before.slice(lineStart)); // Go counts bytes
    const where = `template: :${line}:${col}`;
    throw new TemplateExecError(
      `${where}: executing ${goQuote(this.name)} at <${nodeString(this.node)}>: ${message}`,
    );
  }

  // ---- variables ----

  protected setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  protected varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // ---- evaluating pipelines and commands ----

  protected evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  protected notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
    }
  }

  protected evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  /** An untyped number literal: float64 when written like a float, else int. */
  protected idealConstant(n: NumberNode): number {
    this.at(n);
    if (n.floatSyntax || n.int === undefined) return n.float!;
    return n.int;
  }

  protected evalFieldNode(dot: unknown, field: FieldNode, args: ArgNode[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  protected evalChainNode(dot: unknown, chain: ChainNode, args: ArgNode[], final: Final): unknown {
    this.at(chain);
    if (chain.node.kind === 'nil') {
      this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    }
    const receiver = this.evalArg(dot, 'value', chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  protected evalVariableNode(
    dot: unknown,
    variable: VariableNode,
    args: ArgNode[],
    final: Final,
  ): unknown {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  protected evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: AnyNode,
    ident: string[],
    args: ArgNode[],
    final: Final,
  ): unknown {
    for (const name of ident.slice(0, -1)) {
      receiver = this.evalField(dot, name, node, [], NO_FINAL, receiver);
    }
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, receiver);
  }

  protected evalField(
    dot: unknown,
    name: string,
    node: AnyNode,
    args: ArgNode[],
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) return undefined; // a missing map entry has no fields either
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = args.length > 1 || final !== NO_FINAL;
    const kind = kindOf(receiver);
    if (kind === 'map' || kind === 'object') {
      const found = lookupField(receiver as object, name);
      if (kind === 'object' && found.found && typeof found.value === 'function') {
        return this.evalCall(dot, found.value as Method, false, node, name, args, final);
      }
      if (!isStructLike(receiver as object)) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        return found.found ? found.value : undefined;
      }
      if (found.found) {
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return found.value;
      }
    }
    this.errorf(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  protected evalFunction(
    dot: unknown,
    node: IdentifierNode,
    cmd: AnyNode,
    args: ArgNode[],
    final: Final,
  ): unknown {
    this.at(node);
    const f = this.funcs[node.name];
    if (!f) this.errorf(`${goQuote(node.name)} is not a defined function`);
    return this.evalCall(dot, f, true, cmd, node.name, args, final);
  }

  /** Calls a template function or a data method; args[0] is the function's own node. */
  protected evalCall(
    dot: unknown,
    fun: TemplateFunc | Method,
    isBuiltin: boolean,
    node: AnyNode,
    name: string,
    args: ArgNode[],
    final: Final,
  ): unknown {
    const argNodes = args.slice(1);
    // Methods of JS data declare no types: they take whatever they are given.
    const spec: TemplateFunc =
      typeof fun === 'function' ? { params: [], variadic: 'any', fn: fun } : fun;
    const numIn = argNodes.length + (final === NO_FINAL ? 0 : 1);
    const fixed = spec.params.length;
    if (spec.variadic) {
      if (numIn < fixed) {
        this.errorf(
          `wrong number of args for ${name}: want at least ${fixed} got ${argNodes.length}`,
        );
      }
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    if (isBuiltin && (name === 'and' || name === 'or')) {
      // Short-circuit: stop at the first argument that decides the result.
      let v: unknown;
      for (const arg of argNodes) {
        v = this.evalArg(dot, 'value', arg);
        if (isTrue(v) === (name === 'or')) return v;
      }
      return final === NO_FINAL ? v : final;
    }
    const typeAt = (i: number): ParamType => spec.params[i] ?? spec.variadic ?? 'any';
    const argv = argNodes.map((arg, i) => this.evalArg(dot, typeAt(i), arg));
    if (final !== NO_FINAL) argv.push(this.validateType(final, typeAt(argv.length)));
    try {
      return (spec.fn as Method)(...argv);
    } catch (err) {
      this.at(node);
      this.errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  protected validateType(value: unknown, type: ParamType): unknown {
    if (value === undefined || (value === null && type !== 'any' && type !== 'value')) {
      if (type === 'any') return null;
      if (type === 'value') return undefined;
      this.errorf(`invalid value; expected ${type}`);
    }
    const ok =
      type === 'any' ||
      type === 'value' ||
      (type === 'string' && typeof value === 'string') ||
      (type === 'int' && kindOf(value) === 'int') ||
      (type === 'bool' && typeof value === 'boolean');
    if (!ok) this.errorf(`wrong type for value; expected ${type}; got ${typeName(value)}`);
    return type === 'int' ? Number(value) : value;
  }

  protected evalArg(dot: unknown, type: ParamType, n: ArgNode): unknown {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        if (type === 'any') return null;
        if (type === 'value') return undefined;
        return this.errorf(`cannot assign nil to ${type}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], NO_FINAL), type);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, [], NO_FINAL), type);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), type);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, [n], NO_FINAL), type);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, [], NO_FINAL), type);
    }
    switch (type) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'int':
        if (n.kind === 'number' && n.int !== undefined) return n.int;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.kind === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
    }
    switch (n.kind) {
      case 'bool':
        return n.value;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
    }
  }
}
