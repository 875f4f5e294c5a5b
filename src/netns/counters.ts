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
 * The first `count` numbers of `text`, which runs of spaces separate, found with trimStart and
 * indexOf: under emulation (the VM tier) a loop over the characters, or a pattern's compilation
 * to machine code, cost `stats` more than reading the file.
 */
function numbers(text: string, count: number): number[] {
  const out: number[] = [];
  let rest = text.trimStart();
  while (rest && out.length < count) {
    const end = rest.indexOf(' ');
    out.push(Number(end < 0 ? rest : rest.slice(0, end)));
    if (end < 0) break;
    rest = rest.slice(end).trimStart();
  }
  return out;
}

/** Each interface of /proc/PID/net/dev but loopback: its name and the text after its colon. */
function interfaces(text: string): [string, string][] {
  const out: [string, string][] = [];
  // Two header lines, then `name: rx bytes packets errs drop fifo frame compressed multicast`
  // followed by `tx bytes packets errs drop fifo colls carrier compressed`.
  const lines = text.split('\n');
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name !== 'lo') out.push([name, line.slice(colon + 1)]);
  }
  return out;
}

/** The interfaces /proc/PID/net/dev lists, loopback left out, by name. */
export function parseNetDev(text: string): Record<string, InterfaceCounters> {
  const out: Record<string, InterfaceCounters> = {};
  for (const [name, counters] of interfaces(text)) {
    const f = numbers(counters, 12);
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
 * rx_bytes and tx_bytes without its records: `stats` wants only these two of the sixteen
 * numbers, for every container on every refresh.
 */
export function netBytes(text: string): NetCounters {
  let rxBytes = 0;
  let txBytes = 0;
  for (const [, counters] of interfaces(text)) {
    // Receive bytes is the first number after the colon, transmit bytes the ninth.
    const f = numbers(counters, 9);
    rxBytes += f[0] || 0;
    txBytes += f[8] || 0;
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
