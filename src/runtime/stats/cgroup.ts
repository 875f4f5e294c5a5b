/**
 * A container's resource use from its cgroup v2 files, as docker and podman read them: CPU
 * from cpu.stat's usage_usec, memory as memory.current less memory.stat's inactive_file (the
 * docker CLI's "usage without cache"), block I/O summed over io.stat's devices, tasks from
 * pids.current. The limit is the record's (./index.ts).
 */
import { readSmall } from '../../userns/read-text.ts';
import type { ProcUsage } from './proc.ts';

// Paths are joined by hand and the files scanned without patterns: under emulation (the VM
// tier) the 20 containers' path.join calls were a tenth of `stats`, and a pattern's compilation
// to machine code on its second use cost more than the scan.
const read = (dir: string, file: string): string => readSmall(`${dir}/${file}`) ?? '';

/** The number after `key ` at the start of a line of a flat-keyed file (memory.stat, cpu.stat). */
export function keyed(text: string, key: string): number {
  const needle = `${key} `;
  let at = text.startsWith(needle) ? 0 : text.indexOf(`\n${needle}`) + 1;
  if (at === 0 && !text.startsWith(needle)) return 0;
  at += needle.length;
  const end = text.indexOf('\n', at);
  return Number(text.slice(at, end < 0 ? text.length : end)) || 0;
}

/** The sum of the numbers after every `key=` that starts a word (io.stat: one line a device). */
export function summed(text: string, key: string): number {
  let total = 0;
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + key.length)) {
    const before = at > 0 ? text.charCodeAt(at - 1) : 32;
    if (before !== 32 && before !== 10) continue;
    let end = at + key.length;
    while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
    total += Number(text.slice(at + key.length, end)) || 0;
  }
  return total;
}

export interface CgroupUsage extends ProcUsage {
  /** Whether pids.current was there to count the tasks (the pids controller is enabled). */
  counted: boolean;
}

/**
 * Undefined when the cgroup is gone (its memory.current unreadable): the caller falls back to
 * /proc, and needs no stat of the directory first.
 */
export function cgroupUsage(dir: string): CgroupUsage | undefined {
  const currentText = readSmall(`${dir}/memory.current`);
  if (currentText === undefined) return undefined;
  const current = Number(currentText.trim() || 0);
  const inactive = keyed(read(dir, 'memory.stat'), 'inactive_file');
  // One line per device: its reads and writes add up.
  const io = read(dir, 'io.stat');
  const pids = readSmall(`${dir}/pids.current`);
  return {
    cpuNs: keyed(read(dir, 'cpu.stat'), 'usage_usec') * 1000,
    memoryBytes: inactive < current ? current - inactive : current,
    blockRead: summed(io, 'rbytes='),
    blockWrite: summed(io, 'wbytes='),
    pids: Number(pids?.trim() || 0),
    processes: 0,
    counted: pids !== undefined,
  };
}
