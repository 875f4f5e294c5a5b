/**
 * A running container's processes as the host sees them, and pause/unpause: with the cgroup
 * freezer where the container has a cgroup, else the processes whose pid namespace is the
 * container init's are stopped with SIGSTOP and resumed with SIGCONT (what runc does where it
 * cannot freeze a cgroup); a process forked while the others are being stopped is caught by a
 * second pass.
 */
import {
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { containerDirs } from '../storage/containers.ts';
import { cgroupOf } from './cgroups/index.ts';

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
  if (setFrozen(paths, id, true)) return;
  const seen = new Set<number>();
  for (let pass = 0; pass < 3; pass++) {
    const fresh = containerPids(init).filter((p) => !seen.has(p));
    if (!fresh.length) break;
    signalAll(fresh, 'SIGSTOP');
    for (const p of fresh) seen.add(p);
  }
}

/**
 * The cgroup freezer, where the container has a cgroup: every task stops where it is, new
 * children included, and none sees a SIGSTOP. Waits (a second at most) for cgroup.events to
 * say `frozen 1`, so the container makes no progress once `pause` returns.
 */
function setFrozen(paths: StatePaths, id: string, frozen: boolean): boolean {
  const dir = cgroupOf(paths, id);
  if (!dir || !existsSync(join(dir, 'cgroup.freeze'))) return false;
  writeFileSync(join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
  const want = `frozen ${frozen ? 1 : 0}`;
  const until = Date.now() + 1000;
  while (Date.now() < until) {
    if (readFileSync(join(dir, 'cgroup.events'), 'latin1').includes(want)) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return true;
}

export function thaw(paths: StatePaths, id: string, init: number): void {
  if (!setFrozen(paths, id, false)) signalAll(containerPids(init), 'SIGCONT');
  rmSync(pausedMarker(paths, id), { force: true });
}
