/**
 * docker's confirmation prompt (internal/prompt.Confirm): the question and " [y/N] " on
 * stdout, one line read from stdin, true only for "y" or "Y" (spaces trimmed). End of input
 * counts as no. Read synchronously: the CLI has nothing else to do meanwhile.
 */
import { readSync } from 'node:fs';
import { writeOut } from './output.ts';

function readLine(): string {
  const buf = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, 1, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking stdin (a terminal some other program left so): wait a little.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0 || buf[0] === 0x0a) break;
    bytes.push(buf[0]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

export function confirm(message: string): boolean {
  writeOut(`${message} [y/N] `);
  return readLine().trim().toLowerCase() === 'y';
}
