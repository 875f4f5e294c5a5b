import { readFileSync } from 'node:fs';

/** A text file's content, or '' when it cannot be read (absent files are normal on /proc, /etc). */
export function readTextOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
