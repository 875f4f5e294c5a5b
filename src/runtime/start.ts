/**
 * `start` (and the second half of `run`): write the container's spec from its record, start its
 * monitor, and either follow the container to its end (foreground: signals forwarded, exit code
 * returned) or return once it runs (detached: the monitor logs, reaps and records the exit).
 * One start at a time per container: a lock held until the container runs.
 */
import { prepareCgroup } from './cgroups/index.ts';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { ensurePrivateDir, type StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore } from '../storage/store.ts';
import { FileLock } from '../storage/lock.ts';
import { currentIdMap, mappedCount } from '../userns/idmap.ts';
import { planNetwork, type NetworkPlan } from '../netns/index.ts';
import { findPasta, pastaArgs } from '../netns/pasta.ts';
import { SLIRP_API, SLIRP_DNS, findSlirp4netns, slirpArgs, slirpRequests } from '../netns/slirp.ts';
import {
  containerResolvConf,
  extraHosts,
  hostAddress,
  hostLoopbackAllowed,
  hostNames,
} from '../netns/dns.ts';
import { readTextOr } from '../userns/read-text.ts';
import { checkPortsFree } from '../netns/ports.ts';
import {
  attachSocketPath,
  containerDirs,
  logPath,
  procStart,
  readExit,
  readState,
  reconcile,
  sameProcess,
  seccompCacheDir,
  monitorStatePath,
  stopMarkerPath,
  type ContainerRecord,
} from '../storage/containers.ts';
import { readLayered, resolveUser } from './image-user.ts';
import type { MountRecord } from './mounts.ts';
import { rlimitRecords } from './ulimits.ts';
import { anonymousVolumes, specMounts } from './mounts.ts';
import { volumeDir } from '../storage/volumes.ts';
import { holdKeeper, type KeeperHold } from './keeper.ts';
import { allocateEndpoints, joinRequests, readEndpoint, type Attachment } from './endpoints.ts';
import { lookupContainer } from './inspect.ts';
import { CLIENT_FD, startMonitor, startWithClient, type MonitorHandle } from './monitor.ts';
import { followWithClient, type AttachIo, type TerminalSize } from './attach.ts';
import { parseBytes } from './create.ts';
import { resolveSecurity } from './security/index.ts';
import { SignalForwarder } from './signals.ts';
import {
  baseMounts,
  devSymlinks,
  encodeSpec,
  maskedPaths,
  MS,
  namespaceFlags,
  readonlyPaths,
  type ContainerSpec,
} from './spec.ts';

const HOSTS = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

export type StartMode =
  | { detach: true }
  | {
      detach: false;
      /** The streams the container's stdio is copied to and from (io.stdin: `-i`). */
      io: AttachIo;
      /** --sig-proxy=false: the CLI's signals are its own (default: forwarded). */
      sigProxy?: boolean | undefined;
      onNotice?: ((text: string) => void) | undefined;
    };

/** A foreground container's exit code (docker's), or that a detached one runs (or already ran). */
export type StartResult = { exitCode: number } | { detached: string; alreadyRunning?: boolean };

/** True while the container's init runs. */
export function isRunning(paths: StatePaths, id: string): boolean {
  reconcile(paths, id);
  const st = readState(paths, id);
  return !readExit(paths, id) && !!st && sameProcess(st.pid, st.pidStart);
}

/** The container's network plan; its NetworkMode may name one of its user networks. */
const planFor = (c: ContainerRecord) =>
  planNetwork(
    c.hostConfig.NetworkMode,
    false,
    undefined,
    () => !!c.networks?.[c.hostConfig.NetworkMode],
  );

/** A container on user networks: the keeper it joins, and its addresses. */
interface UserNetworks {
  keeper: KeeperHold;
  attachments: Attachment[];
}

/**
 * docker's --link: each linked container's address on a network both are on, by its alias, id
 * and name. It must run, as docker requires.
 */
function linkLines(paths: StatePaths, c: ContainerRecord): string {
  return (c.hostConfig.Links ?? [])
    .map((link) => {
      const [, target = '', alias = ''] = /^\/([^:]+):\/[^/]+\/(.+)$/.exec(link) ?? [];
      const t = lookupContainer(paths, target);
      if (!t || !isRunning(paths, t.id)) {
        throw new TsctrError(
          `Cannot link to a non running container: /${target} AS /${c.name}/${alias}`,
          { hint: `start ${target} first` },
        );
      }
      const mine = Object.values(c.networks ?? {}).map((w) => w.NetworkID);
      const net = Object.values(t.networks ?? {}).find((w) => mine.includes(w.NetworkID));
      const ep = net && readEndpoint(paths, t.id, net.NetworkID);
      if (!ep) {
        throw new TsctrError(
          `Cannot link to /${target}, as it does not belong to the default network`,
          { hint: `put both on one network (--network), or connect ${target} to this one` },
        );
      }
      return `${ep.IPAddress}\t${[...new Set([alias, t.id.slice(0, 12), t.name])].join(' ')}\n`;
    })
    .join('');
}

/** What --network container:ID joins: that container's running process and its run dir. */
interface SharedNetwork {
  pid: number;
  start: string;
  /** Where its hostname, hosts and resolv.conf are. */
  run: string;
  resolvConf: boolean;
}

function sharedNetwork(paths: StatePaths, net: NetworkPlan): SharedNetwork | undefined {
  if (net.container === undefined) return undefined;
  const id = net.container;
  const st = isRunning(paths, id) ? readState(paths, id) : undefined;
  if (!st?.pid || !st.pidStart) {
    throw new TsctrError(`cannot join network of a non running container: ${id}`, {
      hint: `start it first (tsctr start ${id.slice(0, 12)})`,
    });
  }
  const run = containerDirs(paths, id).run;
  return { pid: st.pid, start: st.pidStart, run, resolvConf: existsSync(join(run, 'resolv.conf')) };
}

/** --read-only keeps /run and /tmp writable (tmpfs), unless the user mounted something there. */
function readOnlyTmpfs(c: ContainerRecord): MountRecord[] {
  if (!c.hostConfig.ReadonlyRootfs) return [];
  const taken = new Set((c.mounts ?? []).map((m) => m.Destination));
  return ['/run', '/tmp']
    .filter((d) => !taken.has(d))
    .map((d) => ({ Type: 'tmpfs', Source: '', Destination: d, RW: true, Mode: '', Options: '' }));
}

/** A group's gid from the container's /etc/group. */
function groupId(layered: string[], name: string): number | undefined {
  for (const line of (readLayered(layered, 'etc/group') ?? '').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && /^\d+$/.test(f[2] ?? '')) return Number(f[2]);
  }
  return undefined;
}

/** The spec the monitor gets, made from the record alone. */
function specFor(
  paths: StatePaths,
  c: ContainerRecord,
  attach: { stdin: boolean; terminalSize?: TerminalSize | undefined } | undefined,
  shared: SharedNetwork | undefined,
  users: UserNetworks | undefined,
): ContainerSpec {
  if (!c.layers) {
    throw new TsctrError(`container ${c.name} was created by an older tsctr and cannot start`, {
      hint: `remove it (tsctr rm ${c.name}) and run the image again`,
    });
  }
  const store = new ImageStore(paths);
  const dirs = containerDirs(paths, c.id);
  const net = planFor(c);
  const idmap = currentIdMap();
  const layersTopDown = [...c.layers].reverse();
  // The container's own /etc/passwd wins: its writable layer over the image's.
  const user = resolveUser(c.config.User, [
    join(dirs.storage, 'upper'),
    ...layersTopDown.map((d) => join(store.layerDir(d), 'diff')),
  ]);
  const layered = [
    join(dirs.storage, 'upper'),
    ...layersTopDown.map((d) => join(store.layerDir(d), 'diff')),
  ];
  for (const g of c.hostConfig.GroupAdd ?? []) {
    const gid = /^\d+$/.test(g) ? Number(g) : groupId(layered, g);
    if (gid === undefined) {
      throw new TsctrError(`Unable to find group ${g}: no matching entries in group file`, {
        hint: "give a group the image's /etc/group has, or a number",
      });
    }
    if (!user.groups.includes(gid)) user.groups.push(gid);
  }
  // Groups the namespace cannot represent are dropped, as podman does, rather than failing.
  user.groups = user.groups.filter((g) => g < mappedCount(idmap.gids));
  const security = resolveSecurity(
    {
      capAdd: c.hostConfig.CapAdd ?? undefined,
      capDrop: c.hostConfig.CapDrop ?? undefined,
      securityOpt: c.hostConfig.SecurityOpt ?? undefined,
      privileged: c.hostConfig.Privileged,
    },
    user.uid,
  );
  const rel = (p: string) => p.slice(paths.root.length + 1);
  const lower = layersTopDown.map((d) => store.layerDiffRelative(d)).join(':');
  const bind = (source: string, target: string) => ({
    source,
    target,
    fstype: '',
    flags: MS.BIND,
    data: '',
    make: 'file' as const,
  });
  // The monitor makes the helper-joined namespace itself, once for all the container's runs.
  const ports = c.ports ?? [];
  const network =
    net.helper === 'pasta'
      ? {
          helper: findPasta(),
          args: pastaArgs({
            ports,
            pidFile: join(dirs.run, 'pasta.pid'),
            noHostLoopback: !hostLoopbackAllowed(),
          }),
          pidFile: join(dirs.run, 'pasta.pid'),
          log: join(dirs.run, 'pasta.log'),
        }
      : net.helper === 'slirp4netns'
        ? {
            helper: findSlirp4netns(),
            args: slirpArgs({ noHostLoopback: !hostLoopbackAllowed() }),
            readyFd: true,
            exitFd: true,
            log: join(dirs.run, 'slirp4netns.log'),
            api: { socket: join(dirs.run, SLIRP_API), requests: slirpRequests(ports) },
          }
        : undefined;
  // The files that name the container's network: another container's, when it shares that.
  const netFiles = shared?.run ?? dirs.run;
  return {
    cloneFlags: namespaceFlags(net.ownNetns && !network && !users),
    network,
    joinNs: shared
      ? [
          { kind: 'user', pid: shared.pid, start: shared.start },
          { kind: 'net', pid: shared.pid, start: shared.start },
        ]
      : users && [{ kind: 'user', pid: users.keeper.pid, start: users.keeper.start }],
    keeper: users && {
      socket: users.keeper.socket,
      hosts: join(dirs.run, 'hosts'),
      joins: joinRequests(c, users.attachments),
    },
    forwards: users && {
      target: users.attachments[0]!.endpoint.IPAddress,
      ports,
    },
    rootfs: join(dirs.storage, 'merged'),
    mountCwd: paths.root,
    mounts: [
      {
        source: 'overlay',
        target: '/',
        fstype: 'overlay',
        flags: 0,
        // Relative paths (resolved against mount-cwd) keep many layers under the 4 KiB limit
        // of mount options; userxattr is what lets an unprivileged user mount overlay (5.11+).
        data: `lowerdir=${lower},upperdir=${rel(join(dirs.storage, 'upper'))},workdir=${rel(join(dirs.storage, 'work'))},userxattr`,
        make: 'none',
      },
      ...baseMounts({
        ownNetns: net.ownNetns,
        ptsGid5: mappedCount(idmap.gids) > 5,
        shmSize: c.hostConfig.ShmSize,
      }),
      bind(join(dirs.run, 'hostname'), '/etc/hostname'),
      bind(join(netFiles, 'hosts'), '/etc/hosts'),
      // A container with a way out gets the host's resolvers (src/netns/dns.ts).
      ...((shared ? shared.resolvConf : writesResolvConf(c, net))
        ? [bind(join(netFiles, 'resolv.conf'), '/etc/resolv.conf')]
        : []),
      ...specMounts(paths, [...readOnlyTmpfs(c), ...(c.mounts ?? [])]),
    ],
    readonlyRootfs: !!c.hostConfig.ReadonlyRootfs,
    rlimits: rlimitRecords(c.hostConfig.Ulimits ?? []),
    symlinks: devSymlinks,
    masked: security.maskPaths ? maskedPaths : [],
    readonly: security.maskPaths ? readonlyPaths : [],
    hostname: c.config.Hostname,
    uid: user.uid,
    gid: user.gid,
    groups: user.groups,
    args: [...(c.hostConfig.Init ? ['/dev/init', '--'] : []), c.path, ...c.args],
    init: !!c.hostConfig.Init,
    env: c.config.Env,
    cwd: c.config.WorkingDir || '/',
    // --rm takes the container's anonymous volumes with it, as docker's does.
    removeOnExit: c.hostConfig.AutoRemove
      ? [
          dirs.storage,
          dirs.run,
          dirs.nameFile(c.name),
          ...anonymousVolumes(c).map((v) => volumeDir(paths, v)),
        ]
      : [],
    exitFile: c.hostConfig.AutoRemove ? '' : join(dirs.run, 'exit'),
    logFile: c.hostConfig.LogConfig?.Type === 'none' ? undefined : logPath(paths, c.id),
    logRotate: logRotate(c),
    // docker's StdinOnce: a foreground `run -i`'s stdin ends with the CLI's; otherwise it
    // stays open for whoever attaches next.
    stdin: c.config.OpenStdin ? (c.config.StdinOnce && attach?.stdin ? 'once' : 'open') : undefined,
    attachSocket: attachSocketPath(paths, c.id),
    clientFd: attach ? CLIENT_FD : undefined,
    terminalSize: c.config.Tty ? attach?.terminalSize : undefined,
    security,
    seccompCache: security.seccomp ? seccompCacheDir(paths) : undefined,
    terminal: !!c.config.Tty,
    stateFile: monitorStatePath(paths, c.id),
    restart: c.hostConfig.RestartPolicy
      ? {
          policy: c.hostConfig.RestartPolicy.Name,
          max: c.hostConfig.RestartPolicy.MaximumRetryCount,
          stopFile: stopMarkerPath(paths, c.id),
        }
      : undefined,
  };
}

/**
 * The container gets its own /etc/resolv.conf when it has a way out, shares the host's network,
 * or was given --dns flags; otherwise the image's stays.
 */
function writesResolvConf(c: ContainerRecord, net: NetworkPlan): boolean {
  const h = c.hostConfig;
  return (
    !!net.helper ||
    !!net.user ||
    !net.ownNetns ||
    !!(h.Dns?.length || h.DnsSearch?.length || h.DnsOptions?.length)
  );
}

/** --log-opt max-size and max-file as the monitor applies them. */
function logRotate(c: ContainerRecord): ContainerSpec['logRotate'] {
  const cfg = c.hostConfig.LogConfig?.Config ?? {};
  if (!cfg['max-size']) return undefined;
  return {
    maxSize: parseBytes(cfg['max-size'], '--log-opt max-size'),
    maxFile: Number(cfg['max-file'] ?? 1),
  };
}

export async function startContainer(
  paths: StatePaths,
  c: ContainerRecord,
  mode: StartMode,
): Promise<StartResult> {
  const dirs = containerDirs(paths, c.id);
  const lock = await FileLock.acquire(join(dirs.storage, 'start.lock'), { exclusive: true });
  let devNull = -1;
  let signals: SignalForwarder | undefined;
  let users: UserNetworks | undefined;
  try {
    if (isRunning(paths, c.id)) {
      if (!mode.detach) {
        throw new TsctrError(`container ${c.name} is already running`, {
          hint: `follow it with tsctr logs -f ${c.name}`,
        });
      }
      return { detached: c.id, alreadyRunning: true };
    }
    if (c.ports?.length) await checkPortsFree(c.ports);
    ensurePrivateDir(paths.runroot);
    mkdirSync(dirs.run, { recursive: true, mode: 0o700 });
    // What the last run left: its exit and its pids.
    for (const f of ['exit', 'state.json']) rmSync(join(dirs.run, f), { force: true });
    rmSync(monitorStatePath(paths, c.id), { force: true });
    rmSync(stopMarkerPath(paths, c.id), { force: true });
    writeFileSync(join(dirs.run, 'hostname'), `${c.config.Hostname}\n`);
    const net = planFor(c);
    const shared = sharedNetwork(paths, net);
    if (net.user) {
      const held = await holdKeeper(paths, () =>
        allocateEndpoints(paths, c, (id) => isRunning(paths, id)),
      );
      users = { keeper: held.keeper, attachments: held.result };
    }
    // A user network's way out is the keeper's helper.
    const outside = users ? { ...net, helper: users.keeper.helper } : net;
    const host = hostAddress(outside, () => readTextOr('/proc/net/route'));
    if (!shared) {
      writeFileSync(
        join(dirs.run, 'hosts'),
        HOSTS +
          (users?.attachments
            .map((a) => `${a.endpoint.IPAddress}\t${c.config.Hostname}\n`)
            .join('') ?? '') +
          linkLines(paths, c) +
          (outside.helper && hostLoopbackAllowed() ? hostNames(host) : '') +
          extraHosts(c.hostConfig.ExtraHosts ?? [], host),
      );
    }
    if (!shared && writesResolvConf(c, net)) {
      writeFileSync(
        join(dirs.run, 'resolv.conf'),
        containerResolvConf(
          readTextOr('/etc/resolv.conf'),
          readTextOr('/run/systemd/resolve/resolv.conf'),
          outside.helper === 'slirp4netns' ? SLIRP_DNS : undefined,
          {
            dns: c.hostConfig.Dns,
            search: c.hostConfig.DnsSearch,
            options: c.hostConfig.DnsOptions,
          },
        ),
      );
    }
    const specFile = join(dirs.run, 'spec');
    const attach = mode.detach
      ? undefined
      : { stdin: !!mode.io.stdin, terminalSize: mode.io.terminal?.size() };
    const cgroup = await prepareCgroup(paths, c);
    writeFileSync(specFile, encodeSpec({ ...specFor(paths, c, attach, shared, users), cgroup }));
    // A monitor that joins another user namespace is started in ours (it joins it itself).
    const userns = shared || users ? { joinsUserns: true as const } : { idmap: currentIdMap() };

    devNull = openSync('/dev/null', 'r+');
    if (mode.detach) {
      const monitor = await startMonitor({ specFile, stdin: devNull, ...userns });
      await followDetached(monitor, paths, c.id, !!c.hostConfig.AutoRemove);
      users?.keeper.release();
      return { detached: c.id };
    }
    if (mode.sigProxy !== false) signals = new SignalForwarder({ init: true });
    const { monitor, client } = await startWithClient({ specFile, stdin: devNull, ...userns });
    return {
      exitCode: await followForeground(monitor, client, mode.io, {
        paths,
        id: c.id,
        autoRemove: !!c.hostConfig.AutoRemove,
        signals,
        notice: mode.onNotice,
        started: () => {
          users?.keeper.release();
          lock.release();
        },
      }),
    };
  } finally {
    users?.keeper.release();
    lock.release();
    signals?.dispose();
    if (devNull >= 0) closeSync(devNull);
  }
}

/** Records the state a container starts in: ps and stop read the pid from it. */
function saveState(
  paths: StatePaths,
  id: string,
  pid: number,
  monitorPid: number,
  autoRemove: boolean,
): void {
  // A --rm container needs none: the monitor's own record (monitor-state) covers its run, and
  // a write here could land in the directory while the monitor removes it after a quick exit.
  if (autoRemove) return;
  try {
    writeFileSync(
      join(containerDirs(paths, id).run, 'state.json'),
      JSON.stringify({
        pid,
        monitorPid,
        startedAt: new Date().toISOString(),
        pidStart: procStart(pid),
        monitorStart: procStart(monitorPid),
      }),
    );
  } catch (err) {
    // With --rm a command that exits at once may already have been removed by its monitor.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Waits only for the start: the monitor goes on alone, logging, reaping, recording the exit. */
async function followDetached(
  monitor: Awaited<ReturnType<typeof startMonitor>>,
  paths: StatePaths,
  id: string,
  autoRemove: boolean,
): Promise<void> {
  try {
    for await (const ev of monitor.events) {
      if (ev.kind === 'started') {
        saveState(paths, id, ev.pid, monitor.monitorPid, autoRemove);
        return;
      }
    }
  } finally {
    monitor.detach();
  }
}

/**
 * A foreground container: the CLI is its monitor's first client (./attach.ts) until it exits,
 * or until the user detaches (then the container goes on, as after `run -d`: exit code 0).
 */
function followForeground(
  monitor: MonitorHandle,
  client: Socket,
  io: AttachIo,
  ctx: {
    paths: StatePaths;
    id: string;
    autoRemove: boolean;
    signals: SignalForwarder | undefined;
    notice: ((text: string) => void) | undefined;
    started: () => void;
  },
): Promise<number> {
  return followWithClient(monitor, client, io, {
    started: (pid) => {
      ctx.signals?.started(pid);
      saveState(ctx.paths, ctx.id, pid, monitor.monitorPid, ctx.autoRemove);
      ctx.started();
    },
    warning: (text) => ctx.notice?.(`WARNING: ${text}`),
  });
}
