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

const isIdentChar = (c: number, first: boolean) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (!first && c >= 48 && c <= 57);

/**
 * Literal text and plain `{{.Field}}` actions (every default table of ps/images/… is this) as
 * [text, field, text, field, …, text]; undefined for anything else. A scan, not a pattern:
 * under emulation a pattern's compilation cost a `stats` more than the whole scan.
 */
export function simpleParts(text: string): string[] | undefined {
  const parts: string[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('{{', from);
    if (open < 0) {
      parts.push(text.slice(from));
      return parts;
    }
    const close = text.indexOf('}}', open + 3);
    if (close < 0 || text.charCodeAt(open + 2) !== 46 || close === open + 3) return undefined;
    for (let i = open + 3; i < close; i++) {
      if (!isIdentChar(text.charCodeAt(i), i === open + 3)) return undefined;
    }
    parts.push(text.slice(from, open), text.slice(open + 3, close));
    from = close + 2;
  }
}

/**
 * A template of only literal text and `{{.Field}}` substitutes string and number fields
 * directly, without loading, parsing and interpreting a program: the full engine costs ~5 ms of
 * a cold `tsctr ps` from the sources, and its code half of what the binary's start-up reads.
 * Any other value (missing, array, object…) goes to the full engine, compiled on first need, so
 * the output is the same.
 */
function simpleTemplate(text: string): Template | undefined {
  const parts = simpleParts(text);
  if (!parts) return undefined;
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
