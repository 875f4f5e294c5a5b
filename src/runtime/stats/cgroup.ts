/**
 * A container's resource use from its cgroup v2 files, as docker and podman read them: CPU
 * from cpu.stat's usage_usec, memory as memory.current less memory.stat's inactive_file (the
 * docker CLI's "usage without cache"), its limit memory.max capped at the host's RAM, block I/O
 * summed over io.stat's devices, tasks from pids.current.
 */
import { readSmall } from '../../userns/read-text.ts';
import type { ProcUsage } from './proc.ts';

// Paths are joined by hand and the patterns compiled once: under emulation (the VM tier) the
// 20 containers' path.join calls and per-call RegExp compiles were a tenth of `stats`.
const read = (dir: string, file: string): string => readSmall(`${dir}/${file}`) ?? '';

const USAGE_USEC = /^usage_usec (\d+)$/m;
const INACTIVE_FILE = /^inactive_file (\d+)$/m;
const RBYTES = /\brbytes=(\d+)/g;
const WBYTES = /\bwbytes=(\d+)/g;

const field = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);

function sum(text: string, pattern: RegExp): number {
  let total = 0;
  for (const m of text.matchAll(pattern)) total += Number(m[1]);
  return total;
}

export interface CgroupUsage extends ProcUsage {
  /** memory.max, or undefined for "max". */
  memoryMax: number | undefined;
}

/**
 * Undefined when the cgroup is gone (its memory.current unreadable): the caller falls back to
 * /proc, and needs no stat of the directory first.
 */
export function cgroupUsage(dir: string): CgroupUsage | undefined {
  const currentText = readSmall(`${dir}/memory.current`);
  if (currentText === undefined) return undefined;
  const current = Number(currentText.trim() || 0);
  const inactive = field(read(dir, 'memory.stat'), INACTIVE_FILE);
  // One line per device: its reads and writes add up.
  const io = read(dir, 'io.stat');
  const max = read(dir, 'memory.max').trim();
  return {
    cpuNs: field(read(dir, 'cpu.stat'), USAGE_USEC) * 1000,
    memoryBytes: inactive < current ? current - inactive : current,
    memoryMax: max && max !== 'max' ? Number(max) : undefined,
    blockRead: sum(io, RBYTES),
    blockWrite: sum(io, WBYTES),
    pids: Number(read(dir, 'pids.current').trim() || 0),
    processes: 0,
  };
}
