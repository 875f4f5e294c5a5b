/**
 * The CLI's own streams as a container's client gets them (runtime/attach.ts): `run` in the
 * foreground, `start -a`, `attach`. With the container's terminal: raw input (when it is
 * attached), output processing off, the window size and its changes, docker's detach keys.
 */
import type { AttachIo } from '../runtime/attach.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys, setOutputProcessing } from '../runtime/attach.ts';
import { isatty, rawMode, requireTerminalInput } from './terminal.ts';

export interface TerminalIo {
  io: AttachIo;
  /** Puts the terminal back as it was. */
  restore(): void;
}

export function terminalIo(opts: {
  stdin: boolean;
  tty: boolean;
  detachKeys?: string | undefined;
}): TerminalIo {
  // Checked first, so a bad value fails before the terminal changes.
  const keys =
    opts.tty && opts.stdin ? parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS) : undefined;
  const restores: (() => void)[] = [];
  if (opts.tty && opts.stdin) {
    requireTerminalInput();
    restores.push(rawMode());
  }
  let out: import('node:tty').WriteStream | undefined;
  if (opts.tty && isatty(1)) {
    out = process.stdout as import('node:tty').WriteStream;
    // The container's pty already makes \r\n; a second pass would print \r\r\n.
    setOutputProcessing(1, false);
    restores.unshift(() => setOutputProcessing(1, true));
  }
  return {
    io: {
      stdin: opts.stdin ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      terminal: out
        ? {
            size: () => ({ rows: out.rows, cols: out.columns }),
            onResize: (cb) => {
              out.on('resize', cb);
              return () => out.off('resize', cb);
            },
          }
        : undefined,
      detachKeys: keys,
    },
    restore: () => {
      for (const r of restores.splice(0).reverse()) r();
    },
  };
}
