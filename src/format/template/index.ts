/**
 * Go text/template, as docker's `--format` flag understands it: Go's syntax and builtins plus
 * docker's functions (json, split, join, title, lower, upper, pad, truncate). Compile once,
 * execute per row:
 *
 *   const t = compileTemplate('{{.ID}}\t{{join .Names ","}}');
 *   t.execute(row);
 *
 * See value.ts for how JS data maps onto Go's types.
 */

import { TsctrError } from '../../errors.ts';
import type { Program } from './evaluator.ts';
import type { Failure } from './engine.ts';
import { templateEngine } from './engine-ref.ts';
import type { JSONOptions } from './gojson.ts';
import type { FuncMap } from './funcs.ts';

export type { FuncMap, ParamType, TemplateFunc } from './funcs.ts';
export type { JSONOptions } from './gojson.ts';

export { marshalJSON } from './marshal.ts';

/** Go's encoding/json of a JS value (value.ts says how JS maps onto Go's types). */
export function goJSON(value: unknown, opts: JSONOptions): string {
  return templateEngine().goJSON(value, opts);
}

/**
 * A template that failed to parse or execute. The message reads as docker's, e.g.
 * `template parsing error: template: :1: function "foo" not defined`; docker uses that prefix
 * for execution errors too.
 */
export class TemplateError extends TsctrError {
  /** Output written before an execution error (Go keeps it; docker's table header uses it). */
  readonly partial: string;

  constructor(message: string, partial = '') {
    super(`template parsing error: ${message}`);
    this.name = 'TemplateError';
    this.partial = partial;
  }
}

export interface ExecuteOptions {
  /** Functions replacing the standard ones for this run, as Go's Template.Funcs. */
  funcs?: FuncMap;
  /** Docker's header functions, as a table's title row is run with. */
  header?: boolean;
}

export interface Template {
  /** Runs the template over data; throws TemplateError. */
  execute(data: unknown, options?: ExecuteOptions): string;
}

// Literal text and plain `{{.Field}}` actions: every default table of ps/images/… is this.
const SIMPLE = /^(?:[^{]|\{(?!\{))*(?:\{\{\.([A-Za-z_]\w*)\}\}(?:[^{]|\{(?!\{))*)*$/;

/**
 * A template of only literal text and `{{.Field}}` substitutes string and number fields
 * directly, without loading, parsing and interpreting a program: the full engine costs ~5 ms of
 * a cold `tsctr ps` from the sources, and its code half of what the binary's start-up reads.
 * Any other value (missing, array, object…) goes to the full engine, compiled on first need, so
 * the output is the same.
 */
function simpleTemplate(text: string): Template | undefined {
  if (!SIMPLE.test(text)) return undefined;
  const parts = text.split(/\{\{\.([A-Za-z_]\w*)\}\}/);
  let full: Template | undefined;
  return {
    execute(data, options) {
      let out = parts[0]!;
      for (let i = 1; i < parts.length; i += 2) {
        const v =
          data instanceof Map
            ? data.get(parts[i]!)
            : data !== null && typeof data === 'object'
              ? (data as Record<string, unknown>)[parts[i]!]
              : undefined;
        if (typeof v === 'string') out += v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) out += String(v);
        else if (typeof v === 'boolean') out += String(v);
        else return (full ??= compileFull(text)).execute(data, options);
        out += parts[i + 1]!;
      }
      return out;
    },
  };
}

/** Parses a template; throws TemplateError (exit code 125) when it is malformed. */
export function compileTemplate(text: string): Template {
  return simpleTemplate(text) ?? compileFull(text);
}

const failed = (r: object): r is Failure => 'error' in r;

function compileFull(text: string): Template {
  const program: Program | Failure = templateEngine().parse(text);
  if (failed(program)) throw new TemplateError(program.error);
  return {
    execute(data, options = {}) {
      const out = templateEngine().run(program, data, options);
      if (typeof out !== 'string') throw new TemplateError(out.error, out.partial);
      return out;
    },
  };
}
