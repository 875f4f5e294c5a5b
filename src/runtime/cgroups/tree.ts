/**
 * The cgroups tsctr makes in the subtree delegated to the user. Where a systemd user manager
 * runs, that is a scope it delegates (./systemd.ts); without one, the highest ancestor of the
 * caller's own cgroup that the user may write (its directory and cgroup.procs): what an
 * administrator chowned, or an init that delegates as systemd does. Below it tsctr keeps one
 * parent, `tsctr`, with every controller it can have enabled for its children, and one leaf per
 * container, `tsctr/<id>`, made at each start (so its counters, memory.events' oom_kill among
 * them, begin at zero) and removed with the container.
 * The monitor stays where the CLI that started it was, outside the container's cgroup. cgroup
 * v2 allows processes only in leaves (or the root): a delegated cgroup that holds processes
 * itself cannot pass controllers down, which is said in words.
 */
import { accessSync, constants, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TsctrError, fromSystemError } from '../../errors.ts';
import {
  cgroupHost,
  hierarchyReason,
  noDelegationReason,
  type CgroupHost,
} from '../../host/cgroups.ts';
import { systemdScope, systemdUserManager } from './systemd.ts';

export const TSCTR_PARENT = 'tsctr';
const WANTED = ['cpuset', 'cpu', 'io', 'memory', 'pids'];

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

const words = (s: string) => s.trim().split(/\s+/).filter(Boolean);

/** Where containers' cgroups go, and who delegated it; or why there is nowhere. */
export type Delegation = { root: string; by: 'systemd' | 'owner' } | { none: string };

/**
 * The delegated subtree's top, as an absolute path: systemd's scope where a user manager runs,
 * else the caller's highest writable ancestor.
 */
export async function delegation(host: CgroupHost = cgroupHost()): Promise<Delegation> {
  const why = hierarchyReason(host);
  if (why) return { none: why };
  const manager = systemdUserManager();
  let refused: string | undefined;
  if (manager) {
    const scope = await systemdScope(host, manager);
    if ('dir' in scope) return { root: scope.dir, by: 'systemd' };
    refused = scope.failed;
  }
  const root = writableAncestor(host);
  if (root) return { root, by: 'owner' };
  return { none: refused ?? noDelegationReason(host) ?? 'no cgroup is delegated to you' };
}

/** The highest ancestor of the caller's cgroup that the user may write; undefined if none. */
export function writableAncestor(host: CgroupHost = cgroupHost()): string | undefined {
  if (host.hierarchy !== '2' || !host.own) return undefined;
  let dir = join(host.mount, host.own);
  if (!writable(dir) || !writable(join(dir, 'cgroup.procs'))) return undefined;
  for (;;) {
    const up = dirname(dir);
    if (up.length < host.mount.length || up === dir) break;
    if (!writable(up) || !writable(join(up, 'cgroup.procs'))) break;
    dir = up;
  }
  return dir === host.mount ? undefined : dir;
}

/**
 * tsctr's parent cgroup under `root`, with the controllers it can pass down enabled; made on
 * first use. Returns it and the controllers its children get.
 */
export function tsctrParent(root: string): { dir: string; controllers: string[] } {
  const dir = join(root, TSCTR_PARENT);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fromSystemError('cannot make the cgroup for containers', err);
  }
  // The delegated cgroup passes down what it has; enabling fails (EBUSY) while it holds
  // processes, in which case whatever is enabled already is what there is.
  const rootHas = words(read(join(root, 'cgroup.controllers')));
  const rootOn = words(read(join(root, 'cgroup.subtree_control')));
  const missing = WANTED.filter((c) => rootHas.includes(c) && !rootOn.includes(c));
  if (missing.length) {
    try {
      writeFileSync(join(root, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
    } catch {
      // Left as it is: see above.
    }
  }
  const have = words(read(join(dir, 'cgroup.controllers')));
  const on = words(read(join(dir, 'cgroup.subtree_control')));
  const enable = WANTED.filter((c) => have.includes(c) && !on.includes(c));
  for (const c of enable) {
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), `+${c}`);
    } catch {
      // One controller refused (cpuset with no cpus in the parent, say) does not stop the others.
    }
  }
  return { dir, controllers: words(read(join(dir, 'cgroup.subtree_control'))) };
}

/** Why the delegated cgroup passes no controllers down, for messages. */
export function whyNoControllers(root: string): string {
  const procs = read(join(root, 'cgroup.procs')).trim();
  return procs
    ? `${root} holds processes itself, and cgroup v2 passes controllers only from cgroups without them`
    : `${root} has none of cpu, io, memory, pids to pass down`;
}

/** A fresh leaf for container `id`: the old one, if any and empty, is removed first. */
export function containerCgroup(parent: string, id: string): string {
  const dir = join(parent, id);
  try {
    rmdirSync(dir);
  } catch {
    // Absent, or still holding a process of the last run (then reused as it is).
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fromSystemError(`cannot make the cgroup of container ${id.slice(0, 12)}`, err);
  }
  return dir;
}

/** Writes the settings; a value the kernel refuses fails the start with the file named. */
export function applySettings(dir: string, settings: { file: string; value: string }[]): void {
  for (const s of settings) {
    try {
      writeFileSync(join(dir, s.file), s.value);
    } catch (err) {
      throw new TsctrError(
        `cannot set ${s.file} to ${s.value}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        { path: join(dir, s.file), errno: (err as NodeJS.ErrnoException).code },
      );
    }
  }
}

/** Removes a container's cgroup; its processes are gone by then (rm stops it first). */
export function removeCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Gone already, or a process outlived the container: the next start reuses it.
  }
}
