/**
 * The `--format` flag of inspect commands, following docker's cli/command/inspect: without a
 * format, a JSON array indented by four spaces; `json`, the same array on one line; otherwise
 * the template run for each object, each followed by a newline. Unlike list formats, `\t` and
 * `\n` in the format are not turned into a tab and a newline.
 */

import { compileTemplate, goJSON } from './template/index.ts';

/** Renders inspected objects; throws TemplateError for a bad template. */
export function renderObject(values: readonly unknown[], format?: string): string {
  if (format === undefined || format === '') {
    // The daemon's JSON, which escapes <, > and &, re-indented by the CLI.
    return `${goJSON(values, { escapeHTML: true, indent: '    ' })}\n`;
  }
  if (format === 'json') return `${goJSON(values, { escapeHTML: true })}\n`;
  const template = compileTemplate(format);
  const out = values.map((v) => `${template.execute(v)}\n`).join('');
  return out === '' ? '\n' : out;
}
