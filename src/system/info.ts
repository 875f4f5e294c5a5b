/**
 * `info`: docker info's shape plus what a rootless engine depends on — the user's subordinate id
 * ranges, the setuid id-map helpers, whether a user namespace can be created, the kernel's
 * overlay support, fuse-overlayfs, pasta/slirp4netns, /dev/net/tun, and the cgroup setup.
 */
import { accessSync, constants, statSync, existsSync, closeSync } from 'node:fs';
import { cpus, release, totalmem, userInfo, arch } from 'node:os';
import { join } from 'node:path';
import { cgroupHost, hierarchyReason, noDelegationReason } from '../host/cgroups.ts';
import { knownScope, SCOPE_UNIT, systemdUserManager } from '../runtime/cgroups/systemd.ts';
import { writableAncestor } from '../runtime/cgroups/tree.ts';
import type { StatePaths } from '../config/paths.ts';
import { VERSION } from '../version.ts';
import { userSubids } from '../userns/idmap.ts';
import { readTextOr } from '../userns/read-text.ts';
import { native } from '../native/loader.ts';
import { ImageStore } from '../storage/store.ts';
import { probeNativeOverlay } from '../storage/overlay-probe.ts';
import { listContainers, readExit, readState, sameProcess } from '../storage/containers.ts';

const PATH_DIRS = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');

function which(name: string): string | undefined {
  for (const d of [...PATH_DIRS, '/usr/bin', '/usr/local/bin', '/usr/sbin']) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * Capabilities a file grants in its permitted set, from its `security.capability` xattr
 * (struct vfs_cap_data: a revision word, then permitted/inheritable words, little endian).
 */
export function filePermittedCaps(xattr: Buffer | null): bigint {
  if (!xattr || xattr.length < 12) return 0n;
  const low = BigInt(xattr.readUInt32LE(4));
  const high = xattr.length >= 20 ? BigInt(xattr.readUInt32LE(12)) : 0n;
  return (high << 32n) | low;
}

const CAP_SETGID = 6n;
const CAP_SETUID = 7n;

function idHelper(path: string, cap: 'setuid' | 'setgid'): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 'missing (install uidmap)';
  }
  if (st.mode & 0o4000) return `${path} (setuid)`;
  let caps = 0n;
  try {
    caps = filePermittedCaps(native().getxattr(path, 'security.capability'));
  } catch {
    // No addon, or no xattr support: report what the mode bits say.
  }
  const bit = cap === 'setuid' ? CAP_SETUID : CAP_SETGID;
  return caps & (1n << bit)
    ? `${path} (file capability cap_${cap})`
    : `${path} (neither setuid nor file capability cap_${cap}: cannot map subordinate ids)`;
}

function canAccess(path: string): string {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return 'read-write';
  } catch (err) {
    return existsSync(path) ? `no access (${(err as NodeJS.ErrnoException).code})` : 'missing';
  }
}

/** Creating (and immediately discarding) a held child in a new user namespace. */
function userNamespaceProbe(): string {
  try {
    const n = native();
    const c = n.spawnHeld({
      file: '/bin/true',
      argv: ['true'],
      env: [],
      cloneFlags: n.constants.CLONE_NEWUSER,
      stdio: [],
      setsid: false,
    });
    closeSync(c.goFd);
    closeSync(c.errFd);
    n.waitpid(c.pid, true);
    return 'yes';
  } catch (err) {
    return `no (${(err as Error).message})`;
  }
}

function cgroupInfo(): { version: string; path: string; controllers: string } {
  const h = cgroupHost();
  const version = { '2': '2', hybrid: '1 (hybrid: v2 tree without controllers)', '1': '1' }[
    h.hierarchy
  ];
  const controllers = h.controllers.join(' ') || 'none';
  return {
    version,
    path: h.own || '-',
    controllers: h.mount
      ? `${controllers}${h.writable ? '' : ' (not delegated to this user: limits unavailable)'}`
      : 'none',
  };
}

/** Where containers' limits and stats come from here, in one line. */
function limitsInfo(): string {
  const host = cgroupHost();
  // info makes nothing: a scope systemd has not given yet is described, not asked for.
  const manager = hierarchyReason(host) ? undefined : systemdUserManager();
  if (manager) {
    const scope = knownScope(manager);
    if (!scope) {
      return `a cgroup per container in systemd's ${SCOPE_UNIT} (Delegate=yes), made when the first container starts`;
    }
    const has = readTextOr(join(scope, 'cgroup.controllers')).trim() || 'no controllers';
    return `a cgroup per container under ${join(scope, 'tsctr')}, systemd's ${SCOPE_UNIT} (${has})`;
  }
  const reason = noDelegationReason(host);
  const root = reason ? undefined : writableAncestor(host);
  if (!root) {
    return `no cgroup of their own (${reason ?? 'no cgroup is delegated to you'}): limits refused unless --ignore-limits, stats from /proc`;
  }
  const has = readTextOr(join(root, 'cgroup.controllers')).trim() || 'no controllers';
  return `a cgroup per container under ${join(root, 'tsctr')} (${has})`;
}

export async function systemInfo(paths: StatePaths) {
  const user = userInfo();
  const { subuids: subuid, subgids: subgid } = userSubids();
  const ranges = (r: { start: number; count: number }[]) =>
    r.length ? r.map((x) => `${x.start}-${x.start + x.count - 1} (${x.count})`).join(', ') : 'none';
  const containers = listContainers(paths);
  const running = containers.filter((c) => {
    const s = readState(paths, c.id);
    return !readExit(paths, c.id) && !!s && sameProcess(s.pid, s.pidStart);
  }).length;
  const cg = cgroupInfo();
  const kernel = release();
  const [maj = 0, min = 0] = kernel.split('.').map((x) => parseInt(x, 10));
  const overlay =
    maj > 5 || (maj === 5 && min >= 11)
      ? await probeNativeOverlay(paths)
      : { ok: false, detail: `no (Linux ${kernel}; unprivileged overlay needs 5.11)` };
  return {
    ClientVersion: VERSION,
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: 0,
    ContainersStopped: containers.length - running,
    Images: new ImageStore(paths).listImages().length,
    Driver: 'overlay',
    NativeOverlayUserxattr: overlay.detail,
    CgroupVersion: cg.version,
    CgroupPath: cg.path,
    CgroupControllers: cg.controllers,
    CgroupLimits: limitsInfo(),
    KernelVersion: kernel,
    OperatingSystem:
      /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readTextOr('/etc/os-release'))?.[1] ?? 'Linux',
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: paths.root,
    RunRoot: paths.runroot,
    Host: {
      User: `${user.username} (uid ${user.uid})`,
      SubUIDs: ranges(subuid),
      SubGIDs: ranges(subgid),
      NewUidmap: idHelper('/usr/bin/newuidmap', 'setuid'),
      NewGidmap: idHelper('/usr/bin/newgidmap', 'setgid'),
      UserNamespaces: userNamespaceProbe(),
      MaxUserNamespaces: readTextOr('/proc/sys/user/max_user_namespaces').trim() || 'unknown',
      FuseOverlayfs: which('fuse-overlayfs') ?? 'not installed',
      DevFuse: canAccess('/dev/fuse'),
      Pasta: which('pasta') ?? 'not installed',
      Slirp4netns: which('slirp4netns') ?? 'not installed',
      DevNetTun: canAccess('/dev/net/tun'),
      Network: networkChoice(
        which('pasta'),
        which('slirp4netns'),
        canAccess('/dev/net/tun'),
        which('iptables'),
        process.env.TSCTR_BRIDGE_HELPER,
      ),
    },
  };
}

/**
 * The default network, `bridge`, and its way out (src/runtime/keeper.ts picks the same helper;
 * src/runtime/create.ts falls back to no network where it cannot work).
 */
export function networkChoice(
  pasta: string | undefined,
  slirp: string | undefined,
  tun: string,
  iptables: string | undefined,
  wanted?: string,
): string {
  if (!pasta && !slirp) {
    return 'none: install slirp4netns or passt (pasta) to give containers a network';
  }
  if (!iptables) return 'none: install iptables (the NAT of the default network)';
  const helper =
    wanted === 'pasta' || wanted === 'slirp4netns'
      ? `${wanted} (TSCTR_BRIDGE_HELPER)`
      : slirp
        ? `slirp4netns${pasta ? ' (TSCTR_BRIDGE_HELPER=pasta for more throughput)' : ''}`
        : 'pasta (install slirp4netns for a faster start and less memory)';
  const line = `bridge, out through ${helper}`;
  return tun === 'read-write' ? line : `${line}, but /dev/net/tun is not usable: ${tun}`;
}

export type SystemInfo = Awaited<ReturnType<typeof systemInfo>>;

/** go-units' BytesSize (binary units, 4 significant digits), which docker info uses. */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** docker info's text layout. */
export function formatInfo(i: SystemInfo): string {
  return [
    'Client:',
    ` Version:    ${i.ClientVersion}`,
    ' Context:    rootless (no daemon)',
    '',
    'Server:',
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Storage Driver: ${i.Driver}`,
    `  Native overlay (userxattr): ${i.NativeOverlayUserxattr}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    `  Own cgroup: ${i.CgroupPath}`,
    `  Controllers: ${i.CgroupControllers}`,
    `  Limits and stats: ${i.CgroupLimits}`,
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${bytesSize(i.MemTotal)}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Run Root: ${i.RunRoot}`,
    '',
    'Host (rootless):',
    ` User: ${i.Host.User}`,
    ` Subordinate UIDs: ${i.Host.SubUIDs}`,
    ` Subordinate GIDs: ${i.Host.SubGIDs}`,
    ` newuidmap: ${i.Host.NewUidmap}`,
    ` newgidmap: ${i.Host.NewGidmap}`,
    ` User namespaces: ${i.Host.UserNamespaces} (max ${i.Host.MaxUserNamespaces})`,
    ` fuse-overlayfs: ${i.Host.FuseOverlayfs} (/dev/fuse: ${i.Host.DevFuse})`,
    ` pasta: ${i.Host.Pasta}`,
    ` slirp4netns: ${i.Host.Slirp4netns}`,
    ` /dev/net/tun: ${i.Host.DevNetTun}`,
    ` Default network: ${i.Host.Network}`,
  ].join('\n');
}
