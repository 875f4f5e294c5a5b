/**
 * The Go template engine proper: parsing a program, running it, and Go's JSON encoding. The
 * bundles carry it as a file of their own, dist/template.cjs, loaded the first time a template
 * is more than text and `{{.Field}}` (./index.ts runs those itself) or JSON is written: it is
 * half of what `ps` and `images` would otherwise compile on every start (./engine-ref.ts).
 *
 * Failures come back as values, not as this module's error classes: the bundle that asks has
 * its own copies of those classes, and `instanceof` would not know them.
 */
import { dockerFuncs, headerFuncs } from './docker-funcs.ts';
import { TemplateExecError, type Program } from './evaluator.ts';
import { executeProgram } from './exec.ts';
import { builtinFuncs, type FuncMap } from './funcs.ts';
import { parseTemplate, TemplateParseError } from './parser.ts';

export { goJSON } from './gojson.ts';

export interface Failure {
  error: string;
  /** Output written before an execution error. */
  partial?: string;
}

export interface RunOptions {
  /** Functions replacing the standard ones for this run, as Go's Template.Funcs. */
  funcs?: FuncMap | undefined;
  /** Docker's header functions, for a table's title row. */
  header?: boolean | undefined;
}

const standardFuncs: FuncMap = { ...builtinFuncs, ...dockerFuncs };
const standardNames: ReadonlySet<string> = new Set(Object.keys(standardFuncs));

export function parse(text: string): Program | Failure {
  try {
    return { text, ...parseTemplate(text, standardNames) };
  } catch (err) {
    if (err instanceof TemplateParseError) return { error: err.message };
    throw err;
  }
}

export function run(program: Program, data: unknown, opts: RunOptions = {}): string | Failure {
  let funcs = standardFuncs;
  if (opts.header) funcs = { ...funcs, ...headerFuncs };
  if (opts.funcs) funcs = { ...funcs, ...opts.funcs };
  try {
    return executeProgram(program, funcs, data);
  } catch (err) {
    if (err instanceof TemplateExecError) return { error: err.message, partial: err.partial };
    throw err;
  }
}
