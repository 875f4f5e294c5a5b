/**
 * A running container's processes as the host sees them, and pause/unpause without a cgroup
 * freezer: the processes whose pid namespace is the container init's are stopped with SIGSTOP
 * and resumed with SIGCONT (what runc does where it cannot freeze a cgroup). A process forked
 * while the others are being stopped is caught by a second pass.
 */
import { readdirSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { containerDirs } from '../storage/containers.ts';

/** The host pids in the pid namespace of `init` (the container's pid 1), init first. */
export function containerPids(init: number): number[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${init}/ns/pid`);
  } catch {
    return [];
  }
  const out = [init];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === init) continue;
    try {
      if (readlinkSync(`/proc/${d}/ns/pid`) === ns) out.push(Number(d));
    } catch {
      // Gone, or another user's.
    }
  }
  return out;
}

export function pausedMarker(paths: StatePaths, id: string): string {
  return join(containerDirs(paths, id).run, 'paused');
}

export function isPaused(paths: StatePaths, id: string): boolean {
  return existsSync(pausedMarker(paths, id));
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Exited meanwhile.
    }
  }
}

export function freeze(paths: StatePaths, id: string, init: number): void {
  writeFileSync(pausedMarker(paths, id), '');
  const seen = new Set<number>();
  for (let pass = 0; pass < 3; pass++) {
    const fresh = containerPids(init).filter((p) => !seen.has(p));
    if (!fresh.length) break;
    signalAll(fresh, 'SIGSTOP');
    for (const p of fresh) seen.add(p);
  }
}

export function thaw(paths: StatePaths, id: string, init: number): void {
  signalAll(containerPids(init), 'SIGCONT');
  rmSync(pausedMarker(paths, id), { force: true });
}
