/**
 * The output layer of every command: list tables (`renderList`), inspect output
 * (`renderObject`), the Go template engine behind `--format`, and docker's human-readable
 * sizes and durations.
 */

export { renderList, type ListOptions } from './table.ts';
export { renderObject } from './inspect.ts';
export { binarySize, humanDuration, humanSize, since } from './units.ts';
export { compileTemplate, TemplateError, type Template } from './template/index.ts';
