/**
 * The container spec handed to tsctr-monitor: every mount, link, id and argument the container
 * gets, decided here. The wire format (NUL-terminated tokens, a keyword then its fixed number
 * of arguments) is read by native/common/spec.cc and documented in docs/ARCHITECTURE.md.
 */
import { join } from 'node:path';
import { native } from '../native/loader.ts';
import { sha256Hex } from '../native/random.ts';
import type { Security } from './security/index.ts';

// <sys/mount.h>
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  BIND: 4096,
  REC: 16384,
  STRICTATIME: 1 << 24,
} as const;

export interface Mount {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data: string;
  /** What to create at target; 'seed': a volume's directory, filled from the image when empty. */
  make: 'dir' | 'file' | 'none' | 'seed';
}

export interface ContainerSpec {
  cloneFlags: number;
  /**
   * The helper that joins the container's network namespace to the outside, which the monitor
   * makes and keeps (native/monitor/net.h): then cloneFlags has no CLONE_NEWNET.
   */
  network?:
    | {
        helper: string;
        args: string[];
        log: string;
        /** Ready once it writes this file; or, with readyFd, once it writes to its fd 4. */
        pidFile?: string | undefined;
        readyFd?: boolean;
        /** Its fd 5 is a pipe whose EOF tells it to exit. */
        exitFd?: boolean;
        /** Request lines for its API socket, sent once it is ready. */
        api?: { socket: string; requests: string[] } | undefined;
      }
    | undefined;
  /**
   * Another process's namespaces the monitor joins first, user before net (--network
   * container:NAME); its start time refuses a reused pid.
   */
  joinNs?: { kind: 'user' | 'net'; pid: number; start: string }[] | undefined;
  /**
   * User networks: the keeper's socket, the container's /etc/hosts (the keeper adds the other
   * members' names to it) and one JOIN line per network (native/monitor/keeper.h). The monitor
   * then makes the network namespace itself: cloneFlags has no CLONE_NEWNET.
   */
  keeper?: { socket: string; hosts: string; joins: string[] } | undefined;
  /** Published ports on a user network, forwarded by the monitor to `target` (forward.h). */
  forwards?: {
    target: string;
    ports: { proto: 'tcp' | 'udp'; hostIp: string; hostPort: number; containerPort: number }[];
  };
  rootfs: string;
  mountCwd: string;
  mounts: Mount[];
  symlinks: [target: string, link: string][];
  masked: string[];
  readonly: string[];
  hostname: string;
  uid: number;
  gid: number;
  groups: number[];
  args: string[];
  env: string[];
  cwd: string;
  removeOnExit: string[];
  exitFile: string;
  /** The container's stdout and stderr, copied by the monitor (k8s-file format). */
  logFile?: string | undefined;
  /** --log-opt max-size (bytes, 0 unbounded) and max-file (files kept in all). */
  logRotate?: { maxSize: number; maxFile: number } | undefined;
  /** `-i`: a stdin pipe the monitor feeds from clients; `once` closes at the first client's end. */
  stdin?: 'open' | 'once' | undefined;
  /** Where the monitor listens for `attach` (native/monitor/io.h). */
  attachSocket?: string | undefined;
  /** The monitor's fd that is the foreground CLI's client socket. */
  clientFd?: number | undefined;
  /** The pty's size from the start (the CLI's terminal). */
  terminalSize?: { rows: number; cols: number } | undefined;
  /** --init: /dev/init (the monitor binary, copied) runs the command as its child. */
  init?: boolean | undefined;
  security: Security;
  /** Where compiled seccomp filters are kept (see securityRecords). */
  seccompCache?: string | undefined;
  /** `-t`: a pty made inside the container is its stdio (native/monitor/pty.h). */
  terminal?: boolean | undefined;
  /** The container's cgroup v2 directory, which the monitor clones its process into. */
  cgroup?: string | undefined;
  /** --ulimit's `rlimit` records (./ulimits.ts). */
  rlimits?: string[] | undefined;
  /** --read-only: the rootfs is remounted read-only once everything is mounted in it. */
  readonlyRootfs?: boolean | undefined;
  /**
   * Where the monitor records each start: `RUNNING pid start restarts monitor-pid start cgroup`,
   * the last the rest of the line (`-` for none).
   */
  stateFile?: string | undefined;
  /** --restart, applied by the monitor; it stops restarting once stopFile exists. */
  restart?: { policy: string; max: number; stopFile: string } | undefined;
}

/**
 * The records that confine the process: capability sets, no_new_privs, the seccomp filter.
 * With `cacheDir`, the compiled filter is kept there under the hash of its records, and the
 * next container with the same rules loads it instead of building it (native/monitor/security.cc).
 */
export function securityRecords(sec: Security, cacheDir?: string): string[] {
  const t = ['caps', ...sec.capSets.map(String)];
  if (sec.noNewPrivs) t.push('no-new-privs');
  const sc = sec.seccomp;
  if (sc) {
    const f = ['seccomp', sc.defaultAction, String(sc.defaultErrno)];
    for (const a of sc.arches) f.push('seccomp-arch', a);
    for (const r of sc.rules) {
      f.push('seccomp-rule', r.action, String(r.errno), r.name);
      for (const a of r.args)
        f.push('seccomp-arg', String(a.index), a.op, String(a.value), String(a.value2));
    }
    t.push(...f);
    if (cacheDir) {
      const hash = sha256Hex(f.join('\0')).slice(0, 32);
      t.push('seccomp-cache', join(cacheDir, `${hash}.bpf`));
    }
  }
  return t;
}

export function encodeSpec(s: ContainerSpec): Buffer {
  const t: string[] = ['version', '1', 'clone-flags', String(s.cloneFlags), 'rootfs', s.rootfs];
  if (s.mountCwd) t.push('mount-cwd', s.mountCwd);
  for (const m of s.mounts)
    t.push('mount', m.source, m.target, m.fstype, String(m.flags), m.data, m.make);
  for (const [target, link] of s.symlinks) t.push('symlink', target, link);
  for (const p of s.masked) t.push('masked', p);
  for (const p of s.readonly) t.push('readonly', p);
  t.push('hostname', s.hostname, 'user', String(s.uid), String(s.gid));
  for (const g of s.groups) t.push('group', String(g));
  for (const a of s.args) t.push('arg', a);
  for (const e of s.env) t.push('env', e);
  t.push('cwd', s.cwd);
  for (const p of s.removeOnExit) t.push('remove-on-exit', p);
  if (s.exitFile) t.push('exit-file', s.exitFile);
  if (s.logFile) t.push('log-file', s.logFile);
  if (s.logRotate) t.push('log-rotate', String(s.logRotate.maxSize), String(s.logRotate.maxFile));
  if (s.stdin) t.push('stdin', s.stdin);
  if (s.attachSocket) t.push('attach-socket', s.attachSocket);
  if (s.clientFd !== undefined) t.push('client-fd', String(s.clientFd));
  if (s.terminal) t.push('terminal');
  if (s.terminalSize) {
    t.push('terminal-size', String(s.terminalSize.rows), String(s.terminalSize.cols));
  }
  if (s.init) t.push('init');
  if (s.network) {
    t.push('net-helper', s.network.helper, 'net-log', s.network.log);
    if (s.network.pidFile) t.push('net-pidfile', s.network.pidFile);
    if (s.network.readyFd) t.push('net-ready-fd');
    if (s.network.exitFd) t.push('net-exit-fd');
    for (const a of s.network.args) t.push('net-arg', a);
    if (s.network.api?.requests.length) {
      t.push('net-api-socket', s.network.api.socket);
      for (const r of s.network.api.requests) t.push('net-api-request', r);
    }
  }
  for (const j of s.joinNs ?? []) t.push('join-ns', j.kind, String(j.pid), j.start);
  if (s.keeper) {
    t.push('keeper-socket', s.keeper.socket, 'keeper-hosts', s.keeper.hosts);
    for (const j of s.keeper.joins) t.push('keeper-join', j);
  }
  if (s.forwards?.ports.length) {
    t.push('forward-target', s.forwards.target);
    for (const p of s.forwards.ports) {
      t.push('forward', p.proto, p.hostIp, String(p.hostPort), String(p.containerPort));
    }
  }
  if (s.stateFile) t.push('state-file', s.stateFile);
  if (s.cgroup) t.push('cgroup', s.cgroup);
  if (s.readonlyRootfs) t.push('readonly-rootfs');
  if (s.rlimits) t.push(...s.rlimits);
  if (s.restart) {
    t.push('restart', s.restart.policy, String(s.restart.max), 'stop-file', s.restart.stopFile);
  }
  t.push(...securityRecords(s.security, s.seccompCache));
  for (const tok of t) {
    if (tok.includes('\0')) throw new Error(`spec value contains NUL: ${JSON.stringify(tok)}`);
  }
  return Buffer.from(t.map((x) => x + '\0').join(''));
}

/** The paths docker hides or freezes in /proc and /sys (moby's oci defaults). */
export const maskedPaths = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const readonlyPaths = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/**
 * The API filesystems and the minimal /dev. Device nodes cannot be created in a user
 * namespace, so the host's are bind-mounted (what rootless runc does).
 */
export function baseMounts(opts: {
  ownNetns: boolean;
  ptsGid5: boolean;
  /** /dev/shm's size in bytes (docker's 64 MiB without --shm-size). */
  shmSize?: number | undefined;
}): Mount[] {
  const m: Mount[] = [
    {
      source: 'proc',
      target: '/proc',
      fstype: 'proc',
      flags: MS.NOSUID | MS.NOEXEC | MS.NODEV,
      data: '',
      make: 'dir',
    },
    {
      source: 'tmpfs',
      target: '/dev',
      fstype: 'tmpfs',
      flags: MS.NOSUID | MS.STRICTATIME,
      data: 'mode=755,size=65536k',
      make: 'dir',
    },
    {
      source: 'devpts',
      target: '/dev/pts',
      fstype: 'devpts',
      flags: MS.NOSUID | MS.NOEXEC,
      // gid=5 (tty) only exists in the namespace when the subgid ranges map it.
      data: `newinstance,ptmxmode=0666,mode=0620${opts.ptsGid5 ? ',gid=5' : ''}`,
      make: 'dir',
    },
    {
      source: 'shm',
      target: '/dev/shm',
      fstype: 'tmpfs',
      flags: MS.NOSUID | MS.NOEXEC | MS.NODEV,
      data: `mode=1777,size=${opts.shmSize ?? 64 * 1024 * 1024}`,
      make: 'dir',
    },
    {
      source: 'mqueue',
      target: '/dev/mqueue',
      fstype: 'mqueue',
      flags: MS.NOSUID | MS.NOEXEC | MS.NODEV,
      data: '',
      make: 'dir',
    },
  ];
  for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) {
    m.push({
      source: `/dev/${dev}`,
      target: `/dev/${dev}`,
      fstype: '',
      flags: MS.BIND | MS.NOSUID,
      data: '',
      make: 'file',
    });
  }
  // sysfs may only be mounted by the owner of the network namespace; otherwise bind the host's.
  m.push(
    opts.ownNetns
      ? {
          source: 'sysfs',
          target: '/sys',
          fstype: 'sysfs',
          flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY,
          data: '',
          make: 'dir',
        }
      : {
          source: '/sys',
          target: '/sys',
          fstype: '',
          flags: MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID | MS.NOEXEC | MS.NODEV,
          data: '',
          make: 'dir',
        },
  );
  return m;
}

export const devSymlinks: [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['pts/ptmx', '/dev/ptmx'],
  ['/proc/kcore', '/dev/core'],
];

export function namespaceFlags(ownNetns: boolean): number {
  const c = native().constants;
  return (
    c.CLONE_NEWNS |
    c.CLONE_NEWPID |
    c.CLONE_NEWUTS |
    c.CLONE_NEWIPC |
    (ownNetns ? c.CLONE_NEWNET : 0)
  );
}
