/**
 * A container's network traffic, as `stats` (NET I/O) and `inspect` show it: the counters of
 * every interface in its network namespace but loopback, read from /proc/PID/net/dev of a
 * process in it. procfs shows the reader the namespace of the pid it names, so no setns is
 * needed, and the file is readable by the user who owns the container's user namespace.
 */
import { readSmall } from '../userns/read-text.ts';

/** One interface's counters, with the keys of docker's stats API (`networks.eth0.rx_bytes`). */
export interface InterfaceCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

export interface NetCounters {
  rxBytes: number;
  txBytes: number;
}

/**
 * The space-separated numbers of `line` from `from` on. A scan, not split(/\s+/): under
 * emulation a pattern's compilation to machine code costs more than the scan.
 */
function numbers(line: string, from: number): number[] {
  const out: number[] = [];
  let at = from;
  for (;;) {
    while (at < line.length && (line.charCodeAt(at) === 32 || line.charCodeAt(at) === 9)) at++;
    if (at >= line.length) return out;
    let end = at;
    while (end < line.length && line.charCodeAt(end) !== 32 && line.charCodeAt(end) !== 9) end++;
    out.push(Number(line.slice(at, end)));
    at = end;
  }
}

/** The interfaces /proc/PID/net/dev lists, loopback left out, by name. */
export function parseNetDev(text: string): Record<string, InterfaceCounters> {
  const out: Record<string, InterfaceCounters> = {};
  // Two header lines, then `name: rx bytes packets errs drop fifo frame compressed multicast`
  // followed by `tx bytes packets errs drop fifo colls carrier compressed`.
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim();
    if (colon < 0 || name === 'lo') continue;
    const f = numbers(line, colon + 1);
    out[name] = {
      rx_bytes: f[0] ?? 0,
      rx_packets: f[1] ?? 0,
      rx_errors: f[2] ?? 0,
      rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0,
      tx_packets: f[9] ?? 0,
      tx_errors: f[10] ?? 0,
      tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}

/**
 * Received and sent bytes over all the interfaces but loopback, the sums of parseNetDev's
 * rx_bytes and tx_bytes, found with indexOf and trimStart rather than a look at each character:
 * `stats` wants only these two of the sixteen numbers, for every container on every refresh,
 * and under emulation a loop over the characters of the file cost more than reading it.
 */
export function netBytes(text: string): NetCounters {
  let rxBytes = 0;
  let txBytes = 0;
  // Two header lines, then one line per interface.
  const lines = text.split('\n');
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    // Receive bytes is the first number after the colon, transmit bytes the ninth.
    let rest = line.slice(colon + 1);
    for (let field = 0; field <= 8; field++) {
      rest = rest.trimStart();
      const end = rest.indexOf(' ');
      const word = end < 0 ? rest : rest.slice(0, end);
      if (field === 0) rxBytes += Number(word) || 0;
      else if (field === 8) txBytes += Number(word) || 0;
      if (end < 0) break;
      rest = rest.slice(end);
    }
  }
  return { rxBytes, txBytes };
}

/** netBytes of `pid`'s network namespace; undefined once the process is gone. */
export function readNetBytes(pid: number): NetCounters | undefined {
  // Latin-1: a straight copy of the bytes, and only the numbers and "lo" matter here.
  const text = readSmall(`/proc/${pid}/net/dev`);
  return text === undefined ? undefined : netBytes(text);
}

/** The interfaces of `pid`'s network namespace; undefined once the process is gone. */
export function readNetCounters(pid: number): Record<string, InterfaceCounters> | undefined {
  const text = readSmall(`/proc/${pid}/net/dev`, 'utf8');
  return text === undefined ? undefined : parseNetDev(text);
}
