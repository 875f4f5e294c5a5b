/**
 * Container records. Storage root: containers/<id>/{config.json, upper/, work/, merged/} and
 * names/<name> (created with O_EXCL, so two `run --name x` cannot both win). Runtime root:
 * containers/<id>/{spec, state.json, exit, hostname, hosts}.
 */
import {
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import type { Resources } from './resources.ts';
import { readSmall } from '../userns/read-text.ts';

/** One of a container's own mounts (`-v`, `--mount`, `--tmpfs`), as src/runtime/mounts.ts reads it. */
export interface MountRecord {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** bind: the host path; volume: its name; tmpfs: empty. */
  Source: string;
  Destination: string;
  RW: boolean;
  /** As given (`ro`, `z`, …), for inspect. */
  Mode: string;
  /** A volume made for this container alone (`-v /data`): removed with it by rm -v and --rm. */
  Anonymous?: boolean;
  /** A volume that is not filled with the image's files at its first mount. */
  NoCopy?: boolean;
  /** tmpfs: mount options (`size=64m,mode=1777`, `ro`, `noexec`…). */
  Options?: string;
  /** `-v` with a missing host path: made at create, as docker makes it. */
  CreateSource?: boolean;
}

export interface ContainerRecord {
  id: string;
  name: string;
  /** The image as the user typed it. */
  image: string;
  imageId: string;
  created: string;
  path: string;
  args: string[];
  config: {
    Hostname: string;
    User: string;
    Env: string[];
    Cmd: string[];
    Entrypoint: string[] | null;
    WorkingDir: string;
    /** Created with -i: the container's stdin is a pipe its monitor holds for clients. */
    OpenStdin?: boolean;
    /** A foreground `run -i`: the stdin closes when the CLI's input ends. */
    StdinOnce?: boolean;
    /** Created with -t: its stdio is a pty. */
    Tty?: boolean;
    /** The image's labels and --label's. */
    Labels?: Record<string, string>;
    /** --stop-signal, else the image's; `stop` sends it (SIGTERM without either). */
    StopSignal?: string | undefined;
    /** --stop-timeout: `stop`'s wait without -t (10 s without it). */
    StopTimeout?: number;
    /** The image's EXPOSE and --expose, as docker keeps them: {"80/tcp": {}}. */
    ExposedPorts?: Record<string, object>;
  };
  hostConfig: {
    AutoRemove: boolean;
    NetworkMode: string;
    /** Absent on records written before confinement existed (they ran with the defaults). */
    Privileged?: boolean;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    SecurityOpt?: string[] | null;
    /** The `-v` flags as given, as docker keeps them. */
    Binds?: string[] | null;
    /** --restart; absent means "no". */
    RestartPolicy?: { Name: string; MaximumRetryCount: number };
    /** --link as docker keeps it, "/NAME:/SELF/ALIAS" (src/runtime/start.ts names them in /etc/hosts). */
    Links?: string[];
    /** --add-host NAME:IP lines for /etc/hosts. */
    ExtraHosts?: string[] | null;
    /** --group-add: more groups (names from the container's /etc/group, or numbers). */
    GroupAdd?: string[] | null;
    /** --read-only: the rootfs mounted read-only, with tmpfs /run and /tmp. */
    ReadonlyRootfs?: boolean;
    /** --shm-size in bytes (64 MiB without it). */
    ShmSize?: number;
    /** --ulimit, as docker keeps them (-1: unlimited). */
    Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
    /** --init: /dev/init reaps and forwards signals as the container's pid 1. */
    Init?: boolean;
    /** --log-driver (k8s-file's format whatever docker name it was given; none keeps no log) and --log-opt. */
    LogConfig?: { Type: string; Config: Record<string, string> };
    /** --dns, --dns-search, --dns-option. */
    Dns?: string[];
    DnsSearch?: string[];
    DnsOptions?: string[];
    /** `-p` as docker keeps it: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} ("" = chosen). */
    PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  } & Partial<Resources>;
  /** The user networks it is on, by name (src/storage/networks.ts); NetworkMode names the first. */
  networks?: Record<
    string,
    { NetworkID: string; Aliases: string[]; IPAMConfig?: { IPv4Address: string } }
  >;
  /** The published ports with the host ports chosen at create (src/netns/ports.ts). */
  ports?: { hostIp: string; hostPort: number; containerPort: number; proto: 'tcp' | 'udp' }[];
  /**
   * The image's diff_ids, bottom first: they keep the rootfs's layers alive after `rmi -f`
   * deletes the image, as docker's container keeps its layers. Absent on older records.
   */
  layers?: string[];
  /** `-v`, `--mount`, `--tmpfs`, `--volumes-from`. Absent on older records. */
  mounts?: MountRecord[];
}

export interface ContainerState {
  pid: number;
  monitorPid: number;
  startedAt: string;
  /** Runs after the first one, under a restart policy. */
  restartCount?: number;
  /** Waiting out the back-off before the next run: how the last one ended, and since when. */
  restarting?: { code: number; signal: number; since: string };
  /** Start times (/proc/PID/stat field 22) of the two: a pid reused after a reboot is not them. */
  pidStart?: string | undefined;
  monitorStart?: string | undefined;
}

export interface ExitState {
  code: number;
  signal: number;
  finishedAt: string;
}

// Joined by hand: the roots are absolute and normalized (src/config/paths.ts) and ids are hex,
// and `ps` and `stats` build these paths for every container (path.join was 6 % of `stats`
// under emulation).
export function containerDirs(paths: StatePaths, id: string) {
  return {
    storage: `${paths.root}/containers/${id}`,
    run: `${paths.runroot}/containers/${id}`,
    nameFile: (name: string) => join(paths.root, 'names', name),
  };
}

/** Compiled seccomp filters, kept by the hash of their rules (src/runtime/spec.ts); made here. */
export function seccompCacheDir(paths: StatePaths): string {
  const dir = join(paths.root, 'seccomp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A detached container's log (k8s-file lines, native/monitor/log.h), kept with its storage. */
export function logPath(paths: StatePaths, id: string): string {
  return join(containerDirs(paths, id).storage, 'ctr.log');
}

/** Where a running container's monitor listens for `attach` (native/monitor/io.h). */
export function attachSocketPath(paths: StatePaths, id: string): string {
  return join(containerDirs(paths, id).run, 'attach');
}

export function saveContainer(paths: StatePaths, rec: ContainerRecord): void {
  const d = containerDirs(paths, rec.id);
  mkdirSync(d.storage, { recursive: true, mode: 0o700 });
  writeFileSync(join(d.storage, 'config.json'), JSON.stringify(rec, null, 2));
}

export function listContainers(paths: StatePaths): ContainerRecord[] {
  let ids: string[];
  try {
    ids = readdirSync(join(paths.root, 'containers'));
  } catch {
    return [];
  }
  const out: ContainerRecord[] = [];
  for (const id of ids) {
    try {
      out.push(
        JSON.parse(
          readFileSync(`${paths.root}/containers/${id}/config.json`, 'utf8'),
        ) as ContainerRecord,
      );
    } catch {
      // Half-created (killed during `run`) or half-removed: not a container yet or any more.
    }
  }
  return out;
}

export function readState(paths: StatePaths, id: string): ContainerState | undefined {
  // The monitor records each run itself (native/monitor/main.cc): it knows the pid even when
  // the CLI that started it was killed before writing state.json.
  const file = monitorStatePath(paths, id);
  let line = readSmall(file)?.trim();
  let since: string | undefined;
  if (line !== undefined) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st) since = st.mtime.toISOString();
    else line = undefined;
  }
  const [word, a, b, count, monitorPid, monitorStart] = line?.split(' ') ?? [];
  if ((word === 'RUNNING' || word === 'RESTARTING') && monitorPid && since) {
    const state: ContainerState = {
      pid: word === 'RUNNING' ? Number(a) : 0,
      pidStart: word === 'RUNNING' ? b : undefined,
      monitorPid: Number(monitorPid),
      monitorStart,
      startedAt: since,
      restartCount: Number(count) || 0,
    };
    if (word === 'RESTARTING') state.restarting = { code: Number(a), signal: Number(b), since };
    return state;
  }
  try {
    return JSON.parse(
      readFileSync(join(containerDirs(paths, id).run, 'state.json'), 'utf8'),
    ) as ContainerState;
  } catch {
    return undefined;
  }
}

/** A container's init as the monitor recorded its start. */
export interface InitRecord {
  pid: number;
  pidStart: string | undefined;
  /**
   * The cgroup the run was cloned into, null for none; undefined where the record does not say
   * (a monitor of an earlier version, or the CLI's state.json).
   */
  cgroup?: string | null;
}

/**
 * The running init of a container (pid and start time), as readState has it, without the times
 * (`stats` asks this of every container on every refresh and needs only the process).
 */
export function readInit(paths: StatePaths, id: string): InitRecord | undefined {
  const line = readSmall(monitorStatePath(paths, id));
  if (line?.startsWith('RUNNING ')) {
    const [, pid, start, , monitorPid, , ...cgroup] = line.trim().split(' ');
    if (monitorPid) {
      const init: InitRecord = { pid: Number(pid), pidStart: start };
      // The rest of the line: a path with spaces would have been split.
      const dir = cgroup.join(' ');
      if (dir) init.cgroup = dir === '-' ? null : dir;
      return init;
    }
  }
  if (line?.startsWith('RESTARTING ')) return undefined;
  const st = readState(paths, id);
  return st && { pid: st.pid, pidStart: st.pidStart };
}

/** Where the monitor of a container with a restart policy records its runs. */
export function monitorStatePath(paths: StatePaths, id: string): string {
  return `${containerDirs(paths, id).run}/monitor-state`;
}

/**
 * Present once the user stopped the container (`stop`, `kill`, `rm -f`): its monitor restarts it
 * no more. Kept with the storage, so that it survives a reboot; `start` removes it.
 */
export function stopMarkerPath(paths: StatePaths, id: string): string {
  return join(containerDirs(paths, id).storage, 'stopped');
}

/** The monitor's exit file: "EXITED <code> <signal>", its mtime the time of death. */
export function readExit(paths: StatePaths, id: string): ExitState | undefined {
  const file = `${containerDirs(paths, id).run}/exit`;
  // Most containers asked about run, and have none: no exception (with its stack) for them.
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) return undefined;
  try {
    const [word, code, signal] = readFileSync(file, 'utf8').trim().split(' ');
    if (word !== 'EXITED') return undefined;
    return { code: Number(code), signal: Number(signal), finishedAt: st.mtime.toISOString() };
  } catch {
    return undefined;
  }
}

/** /proc/PID/stat's fields from the third (state) on, or undefined when the process is gone. */
function procStat(pid: number): string[] | undefined {
  const stat = readSmall(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces and parentheses: count from its end.
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A process's start time in clock ticks since boot, or undefined when it is gone. */
export function procStart(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/**
 * Whether `pid` is still the process that started at `start` (any process, without one). A
 * zombie is gone: a container's init whose monitor was killed is reaped by whatever adopted it,
 * which on some hosts is never.
 */
export function sameProcess(pid: number, start: string | undefined): boolean {
  if (!(pid > 0)) return false; // no process has pid 0 or below
  // /proc/PID/stat answers for every process, another user's too: no kill(PID, 0) first.
  const stat = procStat(pid);
  if (!stat) return false;
  if (stat[0] === 'Z' || stat[0] === 'X') return false;
  return start === undefined || stat[19] === start;
}

/**
 * A container whose init and monitor are both gone without an exit file (the monitor was
 * killed, or the machine rebooted while the runroot survived) is recorded as exited with
 * status 255, as docker records it, so that nothing shows it Up or waits for it forever.
 */
export function reconcile(paths: StatePaths, id: string): void {
  if (readExit(paths, id)) return;
  const s = readState(paths, id);
  if (!s || sameProcess(s.pid, s.pidStart) || sameProcess(s.monitorPid, s.monitorStart)) return;
  const file = join(containerDirs(paths, id).run, 'exit');
  const tmp = `${file}.reconciled.${process.pid}`;
  try {
    writeFileSync(tmp, 'EXITED 255 0\n');
    // link, not rename: a monitor that wrote its exit file since it was looked for (it exits
    // just after) has the true one, and it must not be replaced.
    linkSync(tmp, file);
  } catch {
    // Recorded by the monitor meanwhile, or removed: nothing to record.
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function removeNameFile(paths: StatePaths, name: string): void {
  rmSync(join(paths.root, 'names', name), { force: true });
}
