/**
 * `inspect` of a container: docker's container inspect keys for what tsctr records (identity,
 * command, state from the runtime files, paths, overlay directories, the configuration), and
 * finding a container as dockerd does: full ID, then name (with or without docker's leading
 * '/'), then a unique ID prefix.
 */
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { readNetCounters } from '../netns/counters.ts';
import { oomKilled } from './cgroups/index.ts';
import { networkPorts } from '../netns/ports.ts';
import { resourcesOf } from '../storage/resources.ts';
import { readEndpoint } from './endpoints.ts';
import { inspectMounts } from './mounts.ts';
import { isPaused } from './processes.ts';
import {
  containerDirs,
  logPath,
  sameProcess,
  listContainers,
  readExit,
  readState,
  type ContainerRecord,
} from '../storage/containers.ts';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function noSuchContainer(input: string): TsctrError {
  return new TsctrError(`No such container: ${input}`, {
    hint: "see 'tsctr ps -a' for the containers present",
  });
}

/** The container `input` names, or undefined; throws when an ID prefix is ambiguous. */
export function lookupContainer(paths: StatePaths, input: string): ContainerRecord | undefined {
  const all = listContainers(paths);
  const byId = all.find((c) => c.id === input);
  if (byId) return byId;
  const name = input.startsWith('/') ? input.slice(1) : input;
  const byName = all.find((c) => c.name === name);
  if (byName) return byName;
  if (!/^[0-9a-f]+$/.test(input)) return undefined;
  const byPrefix = all.filter((c) => c.id.startsWith(input));
  if (byPrefix.length > 1) {
    throw new TsctrError(`Multiple IDs found with provided prefix: ${input}`, {
      hint: 'give more characters of the ID, or the name',
    });
  }
  return byPrefix[0];
}

function state(paths: StatePaths, c: ContainerRecord) {
  const st = readState(paths, c.id);
  const exit = readExit(paths, c.id);
  const running = !exit && !!st && sameProcess(st.pid, st.pidStart);
  const restarting = !exit && !running && !!st?.restarting;
  const paused = running && isPaused(paths, c.id);
  const status = exit
    ? 'exited'
    : paused
      ? 'paused'
      : running
        ? 'running'
        : restarting
          ? 'restarting'
          : 'created';
  const last = st?.restarting;
  return {
    Status: status,
    Running: running,
    Paused: paused,
    Restarting: restarting,
    OOMKilled: !!exit && exit.signal === 9 && oomKilled(paths, c.id),
    Dead: false,
    Pid: running ? st!.pid : 0,
    ExitCode: exit
      ? exit.signal
        ? 128 + exit.signal
        : exit.code
      : last
        ? last.signal
          ? 128 + last.signal
          : last.code
        : 0,
    Error: '',
    StartedAt: st?.startedAt ?? ZERO_TIME,
    FinishedAt: exit?.finishedAt ?? ZERO_TIME,
  };
}

/**
 * The inspect object of `c`. `layerDiff` gives an image layer's directory, for the overlay's
 * lower directories (top first, as mounted).
 */
export function inspectContainer(
  paths: StatePaths,
  c: ContainerRecord,
  layerDiff: (diffId: string) => string,
): Record<string, unknown> {
  const dirs = containerDirs(paths, c.id);
  const lower = [...(c.layers ?? [])].reverse().map(layerDiff);
  const st = state(paths, c);
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: st,
    Image: c.imageId,
    ResolvConfPath: '',
    HostnamePath: join(dirs.run, 'hostname'),
    HostsPath: join(dirs.run, 'hosts'),
    LogPath: c.hostConfig.LogConfig?.Type === 'none' ? '' : logPath(paths, c.id),
    Name: `/${c.name}`,
    RestartCount: readState(paths, c.id)?.restartCount ?? 0,
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      NetworkMode: c.hostConfig.NetworkMode,
      AutoRemove: c.hostConfig.AutoRemove,
      Privileged: c.hostConfig.Privileged ?? false,
      CapAdd: c.hostConfig.CapAdd ?? null,
      CapDrop: c.hostConfig.CapDrop ?? null,
      SecurityOpt: c.hostConfig.SecurityOpt ?? null,
      Binds: c.hostConfig.Binds ?? null,
      RestartPolicy: c.hostConfig.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
      ExtraHosts: c.hostConfig.ExtraHosts ?? null,
      GroupAdd: c.hostConfig.GroupAdd ?? null,
      ReadonlyRootfs: !!c.hostConfig.ReadonlyRootfs,
      Ulimits: c.hostConfig.Ulimits ?? null,
      ShmSize: c.hostConfig.ShmSize ?? 64 * 1024 * 1024,
      Init: c.hostConfig.Init ?? null,
      LogConfig: c.hostConfig.LogConfig ?? { Type: 'json-file', Config: {} },
      PortBindings: c.hostConfig.PortBindings ?? {},
      Dns: c.hostConfig.Dns ?? [],
      DnsOptions: c.hostConfig.DnsOptions ?? [],
      DnsSearch: c.hostConfig.DnsSearch ?? [],
      ...resourcesOf(c.hostConfig),
    },
    NetworkSettings: networkSettings(paths, c, st.Pid),
    GraphDriver: {
      Data: {
        ...(lower.length ? { LowerDir: lower.join(':') } : {}),
        MergedDir: join(dirs.storage, 'merged'),
        UpperDir: join(dirs.storage, 'upper'),
        WorkDir: join(dirs.storage, 'work'),
      },
      Name: 'overlay',
    },
    Mounts: inspectMounts(paths, c.mounts),
    Config: {
      Hostname: c.config.Hostname,
      Domainname: '',
      User: c.config.User,
      AttachStdin: !!c.config.StdinOnce,
      AttachStdout: true,
      AttachStderr: true,
      Tty: !!c.config.Tty,
      OpenStdin: !!c.config.OpenStdin,
      StdinOnce: !!c.config.StdinOnce,
      Env: c.config.Env,
      Cmd: c.config.Cmd.length ? c.config.Cmd : null,
      Image: c.image,
      Volumes: null,
      WorkingDir: c.config.WorkingDir === '/' ? '' : c.config.WorkingDir,
      Entrypoint: c.config.Entrypoint,
      OnBuild: null,
      Labels: c.config.Labels ?? {},
      ...(c.config.StopSignal ? { StopSignal: c.config.StopSignal } : {}),
      ...(c.config.StopTimeout !== undefined ? { StopTimeout: c.config.StopTimeout } : {}),
      ...(c.config.ExposedPorts ? { ExposedPorts: c.config.ExposedPorts } : {}),
    },
  };
}

/**
 * docker's NetworkSettings: the ports while running, and an entry per network, with the address
 * a running container holds on each user network (its endpoint file, ./endpoints.ts). The
 * top-level address is the first network's, as podman gives it. Two keys docker's inspect lacks
 * are tsctr's: `InterfaceStatistics`, the running container's traffic per interface with the
 * counters of docker's stats API (what `stats` sums into NET I/O), and `SandboxKey`, its network
 * namespace, as podman fills it. A `--network host` container has neither: the traffic there is
 * the host's.
 */
function networkSettings(paths: StatePaths, c: ContainerRecord, pid: number) {
  const running = pid > 0;
  const empty = {
    IPAMConfig: null,
    Links: null,
    Aliases: null as string[] | null,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: '',
    DriverOpts: null,
  };
  const networks: Record<string, typeof empty | Record<string, unknown>> = {};
  for (const [name, want] of Object.entries(c.networks ?? {})) {
    const ep = running ? readEndpoint(paths, c.id, want.NetworkID) : undefined;
    networks[name] = {
      ...empty,
      IPAMConfig: want.IPAMConfig ?? null,
      Aliases: [...want.Aliases],
      NetworkID: want.NetworkID,
      ...(ep
        ? {
            EndpointID: ep.EndpointID,
            Gateway: ep.Gateway,
            IPAddress: ep.IPAddress,
            IPPrefixLen: ep.IPPrefixLen,
            MacAddress: ep.MacAddress,
          }
        : {}),
    };
  }
  const mode = c.hostConfig.NetworkMode;
  if (!c.networks && !mode.startsWith('container:')) networks[mode] = empty;
  const first = Object.values(networks)[0] as typeof empty | undefined;
  const own = running && mode !== 'host';
  return {
    Bridge: '',
    SandboxID: '',
    SandboxKey: own ? `/proc/${pid}/ns/net` : '',
    Ports: running ? networkPorts(c.ports ?? []) : {},
    EndpointID: first?.EndpointID ?? '',
    Gateway: first?.Gateway ?? '',
    IPAddress: first?.IPAddress ?? '',
    IPPrefixLen: first?.IPPrefixLen ?? 0,
    MacAddress: first?.MacAddress ?? '',
    Networks: networks,
    InterfaceStatistics: (own && readNetCounters(pid)) || null,
  };
}
