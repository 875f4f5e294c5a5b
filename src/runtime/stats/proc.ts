/**
 * A container's resource use read from /proc, for hosts where it has no cgroup of its own
 * (cgroup v1, a v1/v2 hybrid, v2 without delegated controllers). The container is its pid
 * namespace: every process whose /proc/PID/ns/pid is its init's, `exec` sessions included
 * (they join the namespace without being the init's descendants). One pass over /proc serves
 * every container asked about.
 *
 * - CPU: utime+stime of each process, plus cutime+cstime, the time of children it has reaped,
 *   so a short-lived child's work is not lost once it is gone (a child reaped outside the
 *   namespace, such as an exec session's, is).
 * - Memory: the proportional set size (/proc/PID/smaps_rollup), so pages the container's
 *   processes share count once; the resident set (statm) where smaps_rollup is missing.
 * - Block I/O: read_bytes and write_bytes of /proc/PID/io, what reached or left the block layer.
 *   That file is mode 0400 for its owner: for a process running as a container user other
 *   than root (a subordinate uid on the host) it is readable only from inside the container's
 *   user namespace, where a forked reader of the native addon goes for it.
 * - PIDs: the tasks (threads), as the cgroup's pids.current counts them.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { native } from '../../native/loader.ts';
import { readSmall } from '../../userns/read-text.ts';

/**
 * USER_HZ: the unit of the times in /proc/PID/stat. The kernel fixes it at 100 on every
 * architecture Linux containers run on, whatever the kernel's own tick rate.
 */
export const USER_HZ = 100;

export interface ProcUsage {
  /** CPU time of the container's processes and their reaped children, in nanoseconds. */
  cpuNs: number;
  memoryBytes: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
  /** How many processes the totals cover. */
  processes: number;
}

/** The fields of /proc/PID/stat after the command's closing parenthesis, from field 3 on. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function kbLine(text: string, key: string): number | undefined {
  const at = text.indexOf(`\n${key}:`);
  if (at < 0) return undefined;
  return Number.parseInt(text.slice(at + key.length + 2).trimStart(), 10) * 1024;
}

function memoryOf(pid: number): number {
  try {
    const pss = kbLine(`\n${readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1')}`, 'Pss');
    if (pss !== undefined) return pss;
  } catch {
    // A kernel without smaps_rollup (before 4.14): the resident set.
  }
  try {
    const rss = Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
    return rss * 4096;
  } catch {
    return 0;
  }
}

/** read_bytes and write_bytes of a /proc/PID/io text. */
function parseIo(text: string): { read: number; write: number } {
  const t = `\n${text}`;
  const field = (k: string) => {
    const at = t.indexOf(`\n${k}: `);
    return at < 0 ? 0 : Number.parseInt(t.slice(at + k.length + 3), 10);
  };
  return { read: field('read_bytes'), write: field('write_bytes') };
}

/** /proc/PID/io; 'denied' when it belongs to another uid (mode 0400), undefined when gone. */
function ioOf(pid: number): { read: number; write: number } | 'denied' | undefined {
  try {
    return parseIo(readFileSync(`/proc/${pid}/io`, 'latin1'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : undefined;
  }
}

/** The processes of each pid namespace that one of `inits` starts, keyed by init. */
export function namespaceMembers(inits: readonly number[]): Map<number, number[]> {
  const byNs = new Map<string, number>();
  const members = new Map<number, number[]>();
  for (const init of inits) {
    try {
      byNs.set(readlinkSync(`/proc/${init}/ns/pid`), init);
      members.set(init, []);
    } catch {
      // Gone since the state was read.
    }
  }
  if (!byNs.size) return members;
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${d}/ns/pid`);
    } catch {
      continue; // another user's process, or gone
    }
    const init = byNs.get(ns);
    if (init !== undefined) members.get(init)!.push(Number(d));
  }
  return members;
}

/** What the processes of each of `inits`' pid namespaces use now. */
export function procUsage(inits: readonly number[]): Map<number, ProcUsage> {
  const out = new Map<number, ProcUsage>();
  for (const [init, pids] of namespaceMembers(inits)) {
    const denied: number[] = [];
    const u: ProcUsage = {
      cpuNs: 0,
      memoryBytes: 0,
      blockRead: 0,
      blockWrite: 0,
      pids: 0,
      processes: 0,
    };
    for (const pid of pids) {
      const f = statFields(pid);
      if (!f) continue;
      // Fields 14-17 (utime stime cutime cstime) and 20 (num_threads), counted from 3.
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      u.cpuNs += (ticks * 1e9) / USER_HZ;
      u.pids += Number(f[17]);
      u.memoryBytes += memoryOf(pid);
      const io = ioOf(pid);
      if (io === 'denied') denied.push(pid);
      else if (io) {
        u.blockRead += io.read;
        u.blockWrite += io.write;
      }
      u.processes++;
    }
    // Processes of the container's other users: read from inside its user namespace, by one
    // forked reader for the container (the native addon is loaded only then).
    if (denied.length) {
      const files = native().readInUserns(
        init,
        denied.map((p) => `/proc/${p}/io`),
      );
      for (const f of files) {
        if (typeof f === 'number') continue;
        const io = parseIo(f.toString('latin1'));
        u.blockRead += io.read;
        u.blockWrite += io.write;
      }
    }
    out.set(init, u);
  }
  return out;
}

/** Seconds since boot, from /proc/uptime, to age a process by its start time. */
export function uptimeSeconds(): number {
  return Number.parseFloat(readSmall('/proc/uptime') ?? '');
}

/** MemTotal of /proc/meminfo: docker's memory limit for a container without one. */
export function hostMemory(): number {
  return kbLine(`\n${readSmall('/proc/meminfo') ?? ''}`, 'MemTotal') ?? 0;
}
