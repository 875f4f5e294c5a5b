/**
 * `logs`: a container's output, read back from the file its monitor writes (native/monitor/log.h,
 * podman's k8s-file lines), after the files --log-opt max-file kept (LOG.N … LOG.1, oldest first).
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatePaths } from '../config/paths.ts';
import { logPath, readExit, readState, sameProcess } from '../storage/containers.ts';
import { lookupContainer, noSuchContainer } from './inspect.ts';
import { TsctrError } from '../errors.ts';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** When the monitor read it, RFC 3339 with nanoseconds. */
  time: string;
  text: string;
  /** False for the last bytes of a container that ended without a newline. */
  newline: boolean;
}

export interface LogsOptions {
  follow: boolean;
  /** The last N lines only; undefined: all. */
  tail?: number | undefined;
  /** Only lines logged at or after / before this time (ms since the epoch). */
  since?: number | undefined;
  until?: number | undefined;
  onLine: (line: LogLine) => void;
}

/** Parses complete records; returns the lines and how many bytes they used. */
export function parseLog(text: string, partial: Map<string, LogLine>): LogLine[] {
  const out: LogLine[] = [];
  for (const rec of text.split('\n')) {
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(rec);
    if (!m) continue;
    const [, time, stream, tag, body] = m as unknown as [
      string,
      string,
      LogLine['stream'],
      string,
      string,
    ];
    const text = (partial.get(stream)?.text ?? '') + body;
    if (tag === 'P') {
      partial.set(stream, { stream, time, text, newline: false });
      continue;
    }
    partial.delete(stream);
    out.push({ stream, time, text, newline: true });
  }
  return out;
}

export async function containerLogs(
  paths: StatePaths,
  input: string,
  opts: LogsOptions,
): Promise<void> {
  const c = lookupContainer(paths, input);
  if (!c) throw noSuchContainer(input);
  if (c.hostConfig.LogConfig?.Type === 'none') {
    throw new TsctrError('configured logging driver does not support reading', {
      exitCode: 1,
      hint: 'the container was created with --log-driver none',
    });
  }
  const path = logPath(paths, c.id);
  // The rotated files first, oldest first.
  const kept = Number(c.hostConfig.LogConfig?.Config['max-file'] ?? 1);
  let older = '';
  for (let i = kept - 1; i >= 1; i--) {
    if (existsSync(`${path}.${i}`)) older += readFileSync(`${path}.${i}`, 'utf8');
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return; // never started (or started by a tsctr that logged only detached containers)
  }
  // The monitor renamed the file under us (rotation): the rest is in a new one.
  const rotated = () => {
    try {
      return statSync(path).ino !== fstatSync(fd).ino;
    } catch {
      return false;
    }
  };
  const running = () => {
    if (readExit(paths, c.id)) return false;
    const s = readState(paths, c.id);
    return !!s && sameProcess(s.monitorPid, s.monitorStart);
  };
  try {
    const partial = new Map<string, LogLine>();
    let carry = older;
    let first = true;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      // Read what is there now; a record cut by the end of the file waits for the rest.
      const live = running();
      let chunk = '';
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) {
        chunk += buf.toString('utf8', 0, n);
      }
      while (rotated()) {
        closeSync(fd);
        fd = openSync(path, 'r');
        for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) {
          chunk += buf.toString('utf8', 0, n);
        }
      }
      const text = carry + chunk;
      const end = text.lastIndexOf('\n') + 1;
      carry = text.slice(end);
      let lines = parseLog(text.slice(0, end), partial);
      if (!live) {
        // The monitor is done: a last part without its end is the container's last output.
        lines.push(...partial.values());
        partial.clear();
      }
      const { since, until } = opts;
      if (since !== undefined || until !== undefined) {
        lines = lines.filter((l) => {
          const t = Date.parse(l.time);
          return (since === undefined || t >= since) && (until === undefined || t < until);
        });
      }
      if (first && opts.tail !== undefined) lines = opts.tail > 0 ? lines.slice(-opts.tail) : [];
      first = false;
      for (const l of lines) opts.onLine(l);
      // docker's --until ends a follow too, once that time has come.
      if (!opts.follow || !live || (until !== undefined && Date.now() >= until)) return;
      await sleep(100);
    }
  } finally {
    closeSync(fd);
  }
}
