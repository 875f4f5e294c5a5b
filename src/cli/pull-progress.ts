/**
 * docker's pull output. Not on a terminal, plain lines:
 *
 *   Using default tag: latest
 *   latest: Pulling from library/busybox
 *   4b1d1c8a2f3e: Pulling fs layer
 *   4b1d1c8a2f3e: Pull complete
 *   Digest: sha256:…
 *   Status: Downloaded newer image for busybox:latest
 *   docker.io/library/busybox:latest
 *
 * On a terminal, one line per layer rewritten in place (docker's jsonmessage display):
 * `4b1d1c8a2f3e: Downloading [=====>      ]  1.2MB/2.2MB`. tsctr adds which mirror served the
 * image, and which mirrors failed or were skipped, so a slow pull can be explained.
 */
import type { PullEvent } from '../images/pull.ts';
import { familiarName } from '../registry/reference.ts';
import { humanDuration, humanSize } from '../format/units.ts';

export interface PrinterOptions {
  quiet: boolean;
  /** Rewrite layer lines in place (stdout is a terminal). */
  tty?: boolean;
  /** Raw output for the terminal mode (no newline added). */
  raw?: (text: string) => void;
}

/** docker's progress bar: 50 columns of `=` ending in `>`, then current/total. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const bars = Math.max(0, Math.min(width, Math.floor((width * current) / total)));
  const bar =
    bars === width ? '='.repeat(width) : `${'='.repeat(bars)}>${' '.repeat(width - bars - 1)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

export function pullPrinter(
  write: (line: string) => void,
  options: boolean | PrinterOptions,
): (e: PullEvent) => void {
  const o: PrinterOptions = typeof options === 'boolean' ? { quiet: options } : options;
  const quiet = o.quiet;
  const tty = !!o.tty && !!o.raw && !quiet;
  let ref: Extract<PullEvent, { kind: 'start' }>['ref'] | undefined;
  // Terminal mode: the layer lines, in the order they appeared, and their text.
  const order: string[] = [];
  const text = new Map<string, string>();
  const setLine = (id: string, line: string) => {
    if (!tty) return write(`${id}: ${line}`);
    const full = `${id}: ${line}`;
    const at = order.indexOf(id);
    if (at < 0) {
      order.push(id);
      text.set(id, full);
      o.raw!(`${full}\n`);
      return;
    }
    if (text.get(id) === full) return;
    text.set(id, full);
    const up = order.length - at;
    o.raw!(`\x1b[${up}A\r\x1b[2K${full}\r\x1b[${up}B`);
  };
  return (e) => {
    switch (e.kind) {
      case 'start': {
        ref = e.ref;
        if (quiet) return;
        if (e.defaultTag) write('Using default tag: latest');
        const fam = familiarName({ domain: e.ref.domain, path: e.ref.path });
        const repoPath =
          e.ref.domain === 'docker.io' ? e.ref.path : fam.slice(fam.indexOf('/') + 1);
        write(`${e.ref.tag ?? e.ref.digest}: Pulling from ${repoPath}`);
        return;
      }
      case 'source':
        if (!quiet && e.mirror) write(`Using mirror ${e.source}`);
        return;
      case 'source-failed':
        if (!quiet) write(`Mirror ${e.source} failed: ${e.reason}`);
        return;
      case 'source-skipped':
        if (!quiet) {
          write(
            `Skipping mirror ${e.source}: it failed ${humanDuration(Date.now() - e.since)} ago (${e.reason})`,
          );
        }
        return;
      case 'layer':
        if (quiet) return;
        // Plain output leaves out the lines docker's own plain output shows only as bars.
        if (!tty && e.status === 'Waiting') return;
        setLine(e.id, e.status);
        return;
      case 'progress':
        if (tty) setLine(e.id, `Downloading ${progressBar(e.current, e.total)}`);
        return;
      case 'done': {
        if (!quiet) {
          write(`Digest: ${e.digest}`);
          const fam = ref ? familiarName(ref) : e.name;
          write(
            e.upToDate
              ? `Status: Image is up to date for ${fam}`
              : `Status: Downloaded newer image for ${fam}`,
          );
        }
        write(e.name);
        return;
      }
    }
  };
}
