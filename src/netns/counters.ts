/**
 * A container's network traffic, as `stats` shows it (NET I/O): the byte counters of every
 * interface in its network namespace but loopback, read from /proc/PID/net/dev of a process in
 * it (procfs shows the reading process the namespace of the pid it names).
 */
export interface NetCounters {
  rxBytes: number;
  txBytes: number;
}

/** The counters /proc/PID/net/dev lists, loopback left out. */
export function parseNetDev(text: string): NetCounters {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes …
    rxBytes += f[0] ?? 0;
    txBytes += f[8] ?? 0;
  }
  return { rxBytes, txBytes };
}
