/**
 * Terminal input for `login`, as the docker CLI reads it: a prompt on stdout, one line from
 * stdin; the password with echo off (the terminal in raw mode, so nothing typed is shown, and
 * Ctrl-C arrives as a byte to act on after the terminal is restored). `--password-stdin` reads
 * all of stdin and drops one line ending (docker's readSecretFromStdin). Reads are synchronous:
 * the CLI has nothing else to do meanwhile, and nothing is read past the line.
 */
import { readSync } from 'node:fs';
import { isatty, type ReadStream } from 'node:tty';
import { TsctrError } from '../errors.ts';
import { writeOut } from './output.ts';

export function stdinIsTerminal(): boolean {
  return isatty(0);
}

/** One byte from stdin; undefined at end of input. */
function readByte(buf: Buffer): number | undefined {
  for (;;) {
    try {
      return readSync(0, buf, 0, 1, null) === 0 ? undefined : buf[0];
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking stdin (left so by another program): wait a little.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
      if (code === 'EOF') return undefined;
      throw err;
    }
  }
}

/** docker's prompt.ReadInput: the message, then one line, spaces trimmed. */
export function promptLine(message: string): string {
  writeOut(message);
  const buf = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    const b = readByte(buf);
    if (b === undefined || b === 0x0a) break;
    bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8').trim();
}

/**
 * The message, then one line read with echo off. Raw mode also turns off the terminal's line
 * editing, so backspace and Ctrl-U are handled here; Ctrl-C and Ctrl-D on an empty line end the
 * login. The terminal is restored before anything is thrown.
 */
export function promptHidden(message: string): string {
  const stdin = process.stdin as ReadStream;
  const raw = typeof stdin.setRawMode === 'function';
  // Echo goes off before the prompt appears, so nothing typed in answer to it is shown.
  if (raw) stdin.setRawMode(true);
  writeOut(message);
  const buf = Buffer.alloc(1);
  const bytes: number[] = [];
  let interrupted = false;
  try {
    for (;;) {
      const b = readByte(buf);
      if (b === undefined || b === 0x0d || b === 0x0a) break;
      if (b === 0x03 || (b === 0x04 && bytes.length === 0)) {
        interrupted = true;
        break;
      }
      if (b === 0x7f || b === 0x08) {
        // Drop one character, with its UTF-8 continuation bytes.
        while (bytes.length && (bytes.pop()! & 0xc0) === 0x80);
        continue;
      }
      if (b === 0x15) {
        bytes.length = 0;
        continue;
      }
      bytes.push(b);
    }
  } finally {
    if (raw) {
      stdin.setRawMode(false);
      stdin.pause();
    }
    writeOut('\n');
  }
  if (interrupted) throw new TsctrError('login canceled', { exitCode: 130 });
  return Buffer.from(bytes).toString('utf8');
}

/** All of stdin without one trailing line ending (LF, CRLF or CR), for --password-stdin. */
export function readSecretFromStdin(): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return stripLineEnding(Buffer.concat(chunks).toString('utf8'));
}

export function stripLineEnding(text: string): string {
  for (const eol of ['\r\n', '\n', '\r']) {
    if (text.endsWith(eol)) return text.slice(0, -eol.length);
  }
  return text;
}
