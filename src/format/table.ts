/**
 * The `--format` flag of list commands (ps, images, volume ls…), following docker's
 * cli/command/formatter:
 *
 * - no format, or `table` alone: the command's default format;
 * - `table …`: a header row, then one row per item, aligned in columns by the tab writer;
 * - `json`: each item as one line of JSON;
 * - anything else: the template run for each item, each followed by a newline;
 * - `--quiet` prints just the quiet field (ID) of each item, whatever the format (docker warns
 *   that it ignores a custom format then; that warning is the command's to print).
 *
 * As docker does, `\t` and `\n` typed literally in the format (a shell passes them as a
 * backslash and a letter) become a tab and a newline, and spaces around the format are dropped.
 */

import { TabWriter } from './tabwriter.ts';
import { compileTemplate, goJSON, marshalJSON, TemplateError } from './template/index.ts';
import { isPlainObject } from './template/value.ts';

export interface ListOptions {
  /** The --format flag, if given. */
  format?: string;
  /** Format used when --format is absent or just `table`, e.g. 'table {{.ID}}\t{{.Image}}'. */
  defaultFormat: string;
  /** Column title of each field, e.g. { ID: 'CONTAINER ID', Image: 'IMAGE' }. */
  headers: Record<string, string>;
  /** --quiet: print only `quietField` of each row. */
  quiet?: boolean;
  /** Field printed by --quiet; 'ID' when not given. */
  quietField?: string;
}

const TABLE = 'table';
const JSON_FORMAT = 'json';

/** The format in effect, before docker's pre-processing. */
function chooseFormat(opts: ListOptions): string {
  if (opts.quiet) return `{{.${opts.quietField ?? 'ID'}}}`;
  if (opts.format === undefined || opts.format === '' || opts.format === TABLE) {
    return opts.defaultFormat;
  }
  return opts.format;
}

/** Docker's Format.templateString: the template text of a format flag. */
export function templateText(format: string): string {
  if (format === JSON_FORMAT) return '{{json .}}';
  const text = format.startsWith(TABLE) ? format.slice(TABLE.length) : format;
  // Spaces only: a leading tab or newline is kept.
  let from = 0;
  let to = text.length;
  while (from < to && text.charCodeAt(from) === 32) from++;
  while (to > from && text.charCodeAt(to - 1) === 32) to--;
  return text.slice(from, to).replaceAll('\\t', '\t').replaceAll('\\n', '\n');
}

/**
 * Docker renders a row's JSON through the row's MarshalJSON: its fields sorted by name, with
 * `<`, `>` and `&` escaped (so `0.0.0.0:80->80/tcp` reads `0.0.0.0:80-\u003e80/tcp`).
 */
function asListRow(row: object): object {
  if (!isPlainObject(row)) return row;
  // Asked only by {{json .}}: a table's rows never pay for it.
  const json = () =>
    goJSON(
      new Map(Object.entries(row).filter(([, v]) => v !== undefined && typeof v !== 'function')),
      { escapeHTML: true },
    );
  return { ...row, [marshalJSON]: json };
}

/** Renders a list as the --format flag asks; throws TemplateError for a bad template. */
export function renderList(rows: readonly object[], opts: ListOptions): string {
  const format = chooseFormat(opts);
  const template = compileTemplate(templateText(format));
  const body = rows.map((row) => `${template.execute(asListRow(row))}\n`).join('');
  if (!format.startsWith(TABLE)) return body;

  // The header is the same template run over the column titles, with docker's header
  // functions. Docker ignores a failure there (`{{json .}}` cannot take the titles) and keeps
  // what was printed before it.
  let header: string;
  try {
    header = template.execute(new Map(Object.entries(opts.headers)), { header: true });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    header = err.partial;
  }
  const writer = new TabWriter();
  writer.write(`${header}\n${body}`);
  return writer.flush();
}
