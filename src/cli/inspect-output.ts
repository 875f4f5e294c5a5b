/**
 * What `inspect`, `image inspect` and `volume inspect` share: docker's -f flag, and docker's way
 * of answering for several names (what it found, then one line per name it did not find, exit 1).
 */
import { describeError } from '../errors.ts';
import { renderObject } from '../format/index.ts';
import { Flags } from './flags.ts';

export const inspectFormatFlag = Flags.string({
  char: 'f',
  description:
    "Format output using a custom template: 'json' or a Go template (default: indented JSON)",
});

export function printInspected(
  result: { values: unknown[]; errors: unknown[] },
  format: string | undefined,
  out: (text: string) => void,
  err: (text: string) => void,
): void {
  out(renderObject(result.values, format));
  for (const e of result.errors) err(describeError(e).text);
  if (result.errors.length) process.exitCode = 1;
}
