/**
 * isatty(3) without node:tty: that module loads node:net and the streams (~2.5 ms), which a help
 * page or a flag error written to a pipe or a file (scripts, CI, benchmarks) never needs. fstat
 * answers for everything but a character device other than the memory devices (/dev/null);
 * only those ask node:tty.
 */
import { fstatSync } from 'node:fs';
import { TsctrError } from '../errors.ts';

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

/**
 * Puts the CLI's terminal in raw mode for a container's `-it` (keys, Ctrl-C included, go to the
 * container's pty as typed); returns what restores it. Node restores it at exit too.
 */
export function rawMode(): () => void {
  const stdin = process.stdin as import('node:tty').ReadStream;
  stdin.setRawMode(true);
  return () => {
    try {
      stdin.setRawMode(false);
    } catch {
      // The terminal went away.
    }
  };
}

/** docker's refusal of `-it` without a terminal to read from. */
export function requireTerminalInput(): void {
  if (!isatty(0)) {
    throw new TsctrError('the input device is not a TTY', {
      exitCode: 1,
      hint: 'drop -t to pipe input into the container, or run it from a terminal',
    });
  }
}
