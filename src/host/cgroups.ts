/**
 * What the host's cgroups offer this user: the hierarchy (v2, v1, or the v1/v2 hybrid that
 * mounts an empty v2 tree at /sys/fs/cgroup/unified), the user's own v2 cgroup, the controllers
 * it has and whether the user may manage it. Limits and cgroup-based stats need a v2 cgroup
 * that is delegated (writable by the user) with controllers; anything less is said in words.
 */
import { accessSync, constants, readFileSync, statfsSync } from 'node:fs';

const CGROUP2_MAGIC = 0x63677270;

export interface CgroupHost {
  /** '2', '1' or 'hybrid'. */
  hierarchy: '2' | '1' | 'hybrid';
  /** Where the v2 tree is mounted, '' without one. */
  mount: string;
  /** The calling process's v2 cgroup (from /proc/self/cgroup), '' without one. */
  own: string;
  /** The controllers the own cgroup has (cgroup.controllers). */
  controllers: string[];
  /** Whether the user may create cgroups below the own one's parent tree (write access). */
  writable: boolean;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

function isV2(path: string): boolean {
  try {
    return statfsSync(path).type === CGROUP2_MAGIC;
  } catch {
    return false;
  }
}

export function cgroupHost(): CgroupHost {
  const mount = isV2('/sys/fs/cgroup')
    ? '/sys/fs/cgroup'
    : isV2('/sys/fs/cgroup/unified')
      ? '/sys/fs/cgroup/unified'
      : '';
  const hierarchy = mount === '/sys/fs/cgroup' ? '2' : mount ? 'hybrid' : '1';
  const own = /^0::(.*)$/m.exec(read('/proc/self/cgroup'))?.[1] ?? '';
  // Joined by hand (own is absolute): `stats` asks on every run, and path.join's first call
  // costs more than the rest of this under emulation.
  const dir = mount && own ? (own === '/' ? mount : `${mount}${own}`) : '';
  const controllers = dir
    ? read(`${dir}/cgroup.controllers`).trim().split(/\s+/).filter(Boolean)
    : [];
  let writable = false;
  if (dir) {
    try {
      accessSync(dir, constants.W_OK);
      writable = true;
    } catch {
      // Not delegated to this user.
    }
  }
  return { hierarchy, mount, own, controllers, writable };
}

/** Why the host's cgroup hierarchy leaves no room for delegation; undefined on pure v2. */
export function hierarchyReason(h: CgroupHost): string | undefined {
  if (h.hierarchy === '1') return 'this host has cgroup v1 only';
  if (h.hierarchy === 'hybrid')
    return 'this host mounts cgroup v1 and v2 together, with no v2 controllers';
  return undefined;
}

/**
 * Why the caller's own cgroup is no delegated one, in a few words; undefined when it is. On a
 * systemd host tsctr gets a delegated scope all the same (src/runtime/cgroups/systemd.ts).
 */
export function noDelegationReason(h: CgroupHost): string | undefined {
  const why = hierarchyReason(h);
  if (why) return why;
  if (!h.controllers.length) return 'your cgroup has no controllers';
  if (!h.writable) return `your cgroup (${h.own}) is not delegated to you`;
  return undefined;
}
