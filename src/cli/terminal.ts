/**
 * isatty(3) without node:tty: that module loads node:net and the streams (~2.5 ms), which a help
 * page or a flag error written to a pipe or a file (scripts, CI, benchmarks) never needs. fstat
 * answers for everything but a character device other than the memory devices (/dev/null);
 * only those ask node:tty.
 */
import { fstatSync } from 'node:fs';

const MEMORY_DEVICES = 1; // Linux's major number of /dev/null, /dev/zero, /dev/full…

export function isatty(fd: number): boolean {
  let st;
  try {
    st = fstatSync(fd);
  } catch {
    return false; // closed: node:tty's isatty says false too
  }
  if (!st.isCharacterDevice()) return false;
  if (Math.floor(st.rdev / 256) % 4096 === MEMORY_DEVICES) return false;
  return process.getBuiltinModule('node:tty').isatty(fd);
}
