/**
 * Writing to stdout/stderr without process.stdout: creating that stream loads Node's whole
 * streams stack (~5 ms of every `tsctr ps`, measured with --cpu-prof). A blocking write is
 * what the docker CLI does anyway. A descriptor left non-blocking by the caller (EAGAIN) falls
 * back to the stream, which waits for it.
 */
import { writeSync } from 'node:fs';

function write(fd: 1 | 2, text: string): void {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        (fd === 1 ? process.stdout : process.stderr).write(buf);
        return;
      }
      if (code === 'EPIPE') return; // the reader went away (`tsctr ps | head`)
      throw err;
    }
  }
}

export const writeOut = (text: string) => write(1, text);
export const writeErr = (text: string) => write(2, text);

const streamsMade: NodeJS.WriteStream[] = [];

/**
 * Notes when anything creates process.stdout or process.stderr (the fallback above, `save` to
 * stdout, oclif's plugins, and Node itself, which reads process.stderr whenever a socket is
 * destroyed): writes through a stream may still be queued when the command is done, and only
 * Node's own exit waits for them. Their getters create the streams on first use; this wraps them
 * without calling them.
 */
export function watchStdStreams(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const d = Object.getOwnPropertyDescriptor(process, name);
    if (!d?.get || !d.configurable) {
      streamsMade.push(process[name]); // not a lazy getter in this Node: watch the stream itself
      continue;
    }
    const get = d.get;
    Object.defineProperty(process, name, {
      ...d,
      get() {
        const stream = get.call(process) as NodeJS.WriteStream;
        if (!streamsMade.includes(stream)) streamsMade.push(stream);
        return stream;
      },
    });
  }
}

/** Whether everything written so far has reached its descriptor: no stream holds a byte. */
export const writtenSynchronously = (): boolean => streamsMade.every((s) => s.writableLength === 0);
