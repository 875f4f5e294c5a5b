/**
 * A container's resource use from its cgroup v2 files, as docker and podman read them: CPU
 * from cpu.stat's usage_usec, memory as memory.current less memory.stat's inactive_file (the
 * docker CLI's "usage without cache"), its limit memory.max capped at the host's RAM, block I/O
 * summed over io.stat's devices, tasks from pids.current.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcUsage } from './proc.ts';

function read(dir: string, file: string): string {
  try {
    return readFileSync(join(dir, file), 'latin1');
  } catch {
    return '';
  }
}

const field = (text: string, key: string) =>
  Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

export interface CgroupUsage extends ProcUsage {
  /** memory.max, or undefined for "max". */
  memoryMax: number | undefined;
}

export function cgroupUsage(dir: string): CgroupUsage {
  const current = Number(read(dir, 'memory.current').trim() || 0);
  const inactive = field(read(dir, 'memory.stat'), 'inactive_file');
  let blockRead = 0;
  let blockWrite = 0;
  for (const line of read(dir, 'io.stat').split('\n')) {
    blockRead += Number(/\brbytes=(\d+)/.exec(line)?.[1] ?? 0);
    blockWrite += Number(/\bwbytes=(\d+)/.exec(line)?.[1] ?? 0);
  }
  const max = read(dir, 'memory.max').trim();
  return {
    cpuNs: field(read(dir, 'cpu.stat'), 'usage_usec') * 1000,
    memoryBytes: inactive < current ? current - inactive : current,
    memoryMax: max && max !== 'max' ? Number(max) : undefined,
    blockRead,
    blockWrite,
    pids: Number(read(dir, 'pids.current').trim() || 0),
    processes: 0,
  };
}
