/**
 * `create` (and the first half of `run`): find (or pull) the image, reserve the name, and save
 * the container's record and its empty writable layer. Everything `start` needs later is in the
 * record, so a created or exited container starts again from it alone (./start.ts).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError, fromSystemError } from '../errors.ts';
import { parseSignal } from './signals.ts';
import { parseUlimit } from './ulimits.ts';
import { configIgnoresLimits } from '../config/settings.ts';
import { parseLimits, type LimitFlags } from './limits/parse.ts';
import { storedResources } from '../storage/resources.ts';
import { checkLimits } from './limits/policy.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { FileLock } from '../storage/lock.ts';
import { currentIdMap, mappedCount } from '../userns/idmap.ts';
import { readTextOr } from '../userns/read-text.ts';
import { isNetworkMode, planNetwork } from '../netns/index.ts';
import { findNetwork, isDefaultBridge, type NetworkRecord } from '../storage/networks.ts';
import { allocateAddress } from './endpoints.ts';
import { whichHelper } from '../netns/which.ts';
import {
  checkHostPorts,
  chooseHostPorts,
  parseExpose,
  parsePublish,
  portBindings,
  publishAll,
} from '../netns/ports.ts';
import {
  containerDirs,
  removeNameFile,
  saveContainer,
  type ContainerRecord,
} from '../storage/containers.ts';
import { resolveUser } from './image-user.ts';
import { checkSecurity, type SecurityFlags } from './security/index.ts';
import { newContainerId, reserveName } from './names.ts';
import { containerMounts, type MountFlags, type MountRecord } from './mounts.ts';
import { lookupContainer, noSuchContainer } from './inspect.ts';

export interface CreateOptions {
  paths: StatePaths;
  /** The image as the user typed it, for the container's record. */
  image: string;
  /**
   * Finds (or pulls) the image and checks its layers: the caller's, since images/ sits beside
   * runtime/, not below it. Called with the store's collection lock held shared.
   */
  findImage: () => Promise<ImageRecord>;
  command: string[];
  name?: string | undefined;
  rm: boolean;
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  entrypoint?: string | undefined;
  hostname?: string | undefined;
  network?: string | undefined;
  /** --link NAME[:ALIAS]: docker's legacy links, names in /etc/hosts. */
  links?: string[] | undefined;
  /** --network-alias and --ip: on a user network only. */
  networkAliases?: string[] | undefined;
  ip?: string | undefined;
  /** `-p`/`--publish` values. */
  publish?: string[] | undefined;
  /** `-P`/`--publish-all`: every exposed port on a chosen host port. */
  publishAll?: boolean | undefined;
  /** `--expose` values. */
  expose?: string[] | undefined;
  /** --dns, --dns-search, --dns-option. */
  dns?: string[] | undefined;
  dnsSearch?: string[] | undefined;
  dnsOptions?: string[] | undefined;
  interactive: boolean;
  /** `-t`: a pty for the container's stdio. */
  tty?: boolean | undefined;
  /** --cap-add, --cap-drop, --security-opt, --privileged. */
  security?: SecurityFlags;
  /** -v, --mount, --tmpfs, --volumes-from. */
  mounts?: MountFlags;
  /** --restart: no, on-failure[:N], always, unless-stopped. */
  restart?: string | undefined;
  envFiles?: string[] | undefined;
  labels?: string[] | undefined;
  addHosts?: string[] | undefined;
  groupAdd?: string[] | undefined;
  readOnly?: boolean | undefined;
  shmSize?: string | undefined;
  stopSignal?: string | undefined;
  stopTimeout?: number | undefined;
  ulimits?: string[] | undefined;
  /** --memory, --cpus, --pids-limit … as typed. */
  limits?: LimitFlags | undefined;
  /** --ignore-limits: run without limits this host cannot apply, instead of refusing. */
  ignoreLimits?: boolean | undefined;
  /** --init. */
  init?: boolean | undefined;
  /** --log-driver and --log-opt KEY=VALUE. */
  logDriver?: string | undefined;
  logOpts?: string[] | undefined;
  /** False for `run -d`: otherwise, with -i, the stdin ends with the attached CLI's (docker's StdinOnce). */
  attached?: boolean | undefined;
  onNotice?: (text: string) => void;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** docker's ReplaceOrAppendEnvValues: later KEY=… replaces an earlier KEY in place. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const out = [...base];
  for (const e of over) {
    const key = e.split('=')[0]!;
    const i = out.findIndex((x) => x.split('=')[0] === key);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** `-e KEY` takes KEY from tsctr's own environment, and is dropped when unset (docker). */
export function expandEnvFlags(flags: string[], env = process.env): string[] {
  return flags.flatMap((f) => {
    if (f.includes('=')) return [f];
    const v = env[f];
    return v === undefined ? [] : [`${f}=${v}`];
  });
}

export function commandLine(
  image: ImageRecord,
  args: string[],
  entrypoint: string | undefined,
): string[] {
  const cfg = image.config.config ?? {};
  if (entrypoint !== undefined) return [...(entrypoint ? [entrypoint] : []), ...args];
  const cmd = args.length ? args : (cfg.Cmd ?? []);
  return [...(cfg.Entrypoint ?? []), ...cmd];
}

/** docker's --env-file: KEY=value lines; `#` comments and blank lines skipped; KEY alone from tsctr's environment. */
export function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fromSystemError('reading --env-file', err);
  }
  return text.split(/\r?\n/).flatMap((line) => {
    const l = line.replace(/^\s+/, '');
    if (!l || l.startsWith('#')) return [];
    if (/\s/.test(l.split('=')[0]!)) {
      throw new TsctrError(`variable '${l.split('=')[0]}' contains whitespaces`, { path });
    }
    return [l];
  });
}

/** docker's RAMInBytes: a number with an optional b, k, m or g (powers of 1024). */
export function parseBytes(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim());
  if (!m)
    throw new TsctrError(`invalid size: '${value}' for ${flag}`, { hint: 'for example 64m or 1g' });
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  return Math.floor(Number(m[1]) * unit);
}

const LOG_DRIVERS = ['json-file', 'k8s-file', 'none'];

/**
 * --log-driver and --log-opt as docker checks them. Every driver that keeps a log writes
 * podman's k8s-file format (what `logs` reads); the name given is what inspect shows.
 */
export function parseLogConfig(
  driver: string | undefined,
  opts: readonly string[],
): { Type: string; Config: Record<string, string> } {
  const type = driver ?? 'json-file';
  if (!LOG_DRIVERS.includes(type)) {
    throw new TsctrError(`logger: no log driver named '${type}' is registered`, {
      hint: `tsctr keeps logs with ${LOG_DRIVERS.join(', ')}`,
    });
  }
  const config: Record<string, string> = {};
  for (const o of opts) {
    const i = o.indexOf('=');
    if (i <= 0) {
      throw new TsctrError(`invalid key value pair format in logging opts: ${o}`, {
        hint: 'give --log-opt KEY=VALUE, for example max-size=10m',
      });
    }
    const key = o.slice(0, i);
    const value = o.slice(i + 1);
    if (type === 'none' || (key !== 'max-size' && key !== 'max-file')) {
      throw new TsctrError(`unknown log opt '${key}' for ${type} log driver`, {
        hint: type === 'none' ? undefined : 'tsctr knows max-size and max-file',
      });
    }
    if (key === 'max-size') parseBytes(value, '--log-opt max-size');
    if (key === 'max-file' && !(/^\d+$/.test(value) && Number(value) >= 1)) {
      throw new TsctrError(`max-file cannot be less than 1`, { hint: 'for example max-file=3' });
    }
    config[key] = value;
  }
  if (config['max-file'] && config['max-file'] !== '1' && !config['max-size']) {
    throw new TsctrError('max-file cannot be set without max-size', {
      hint: 'add --log-opt max-size=…, for example 10m',
    });
  }
  // Sorted, as Go's encoding/json prints a map (inspect's {{json .HostConfig.LogConfig}}).
  return {
    Type: type,
    Config: Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** An IPv4 or IPv6 literal (node:net's isIP would load the streams stack into every run). */
function looksLikeIP(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s))
    return s.split('.').every((p) => Number(p) < 256);
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}

function parseLabels(labels: string[]): Record<string, string> {
  return Object.fromEntries(
    labels.map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)];
    }),
  );
}

/** docker's --restart values. */
export function parseRestartPolicy(
  value: string | undefined,
  rm: boolean,
): { Name: string; MaximumRetryCount: number } | undefined {
  if (value === undefined || value === '' || value === 'no') return undefined;
  const [name, count, extra] = value.split(':');
  const known = ['always', 'unless-stopped', 'on-failure'];
  if (!known.includes(name!) || extra !== undefined) {
    throw new TsctrError(`invalid restart policy format: ${value}`, {
      hint: 'use no, always, unless-stopped or on-failure[:max-retries]',
    });
  }
  if (count !== undefined && name !== 'on-failure') {
    throw new TsctrError(`maximum retry count cannot be used with restart policy '${name}'`);
  }
  if (count !== undefined && !/^\d+$/.test(count)) {
    throw new TsctrError(`invalid restart policy format: maximum retry count must be an integer`);
  }
  if (rm) throw new TsctrError('Conflicting options: --restart and --rm');
  return { Name: name!, MaximumRetryCount: Number(count ?? 0) };
}

export async function createContainer(opts: CreateOptions): Promise<ContainerRecord> {
  const store = new ImageStore(opts.paths);
  // Held shared from finding the image until the container's record, which lists its layers,
  // is saved: `rmi` collects garbage holding it exclusively, so it cannot delete the layers of
  // an image a starting container has found but not yet claimed.
  const gcLock = await FileLock.acquire(store.lockPath('gc'), { exclusive: false });
  try {
    return await create(opts, store);
  } finally {
    gcLock.release();
  }
}

async function create(opts: CreateOptions, store: ImageStore): Promise<ContainerRecord> {
  const restart = parseRestartPolicy(opts.restart, opts.rm);
  const shmSize = opts.shmSize === undefined ? undefined : parseBytes(opts.shmSize, '--shm-size');
  const logConfig = parseLogConfig(opts.logDriver, opts.logOpts ?? []);
  const stopSignal = opts.stopSignal;
  if (stopSignal !== undefined) parseSignal(stopSignal);
  for (const h of opts.addHosts ?? []) {
    const i = h.indexOf(':');
    if (i <= 0 || !(looksLikeIP(h.slice(i + 1)) || h.slice(i + 1) === 'host-gateway')) {
      throw new TsctrError(
        `invalid argument "${h}" for "--add-host" flag: invalid IP address in add-host: "${h.slice(i + 1)}"`,
        {
          hint: 'give NAME:IP, or NAME:host-gateway for the host',
        },
      );
    }
  }
  for (const d of opts.dns ?? []) {
    if (!looksLikeIP(d)) {
      throw new TsctrError(`invalid argument "${d}" for "--dns" flag: ${d} is not an ip address`, {
        hint: 'give the address of a DNS server, for example --dns 192.0.2.53',
      });
    }
  }
  const fileEnv = (opts.envFiles ?? []).flatMap(readEnvFile);
  const ulimits = (opts.ulimits ?? []).map(parseUlimit);
  const limits = parseLimits(opts.limits ?? {});
  // The config file is read only when there are limits to decide about.
  const ignored = limits.requested.length
    ? await checkLimits(limits.requested, !!opts.ignoreLimits || configIgnoresLimits())
    : undefined;
  for (const w of [...limits.warnings, ...(ignored ? [ignored] : [])]) opts.onNotice?.(w);
  const image = await opts.findImage();
  const exposed = [
    ...new Set([
      ...Object.keys(image.config.config?.ExposedPorts ?? {}),
      ...(opts.expose ?? []).flatMap(parseExpose),
    ]),
  ];
  const given = (opts.publish ?? []).flatMap(parsePublish);
  const requested = [...given, ...(opts.publishAll ? publishAll(exposed, given) : [])];
  // Docker's default network, except where its keeper cannot run (no helper, no iptables).
  const bridgeWorks =
    opts.network === undefined &&
    !!(whichHelper('slirp4netns') || whichHelper('pasta')) &&
    !!whichHelper('iptables');
  if (opts.network === undefined && !bridgeWorks && !requested.length) {
    opts.onNotice?.(
      'WARNING: the container has no network: the default one needs slirp4netns (or passt) and iptables',
    );
  }
  const userNet = userNetwork({
    ...opts,
    network: opts.network ?? (bridgeWorks ? 'bridge' : undefined),
  });
  const net = planNetwork(
    userNet?.Name ?? opts.network,
    requested.length > 0,
    () => whichHelper('pasta') !== undefined,
    () => userNet !== undefined,
  );
  checkHostPorts(requested, () => readTextOr('/proc/sys/net/ipv4/ip_unprivileged_port_start'));
  const shared = net.container !== undefined ? sharedNetwork(opts, net.container) : undefined;
  const links = (opts.links ?? []).map((l) => linkTarget(opts.paths, l));
  if (
    net.ownNetns &&
    !net.helper &&
    !net.user &&
    opts.addHosts?.some((h) => h.endsWith(':host-gateway'))
  ) {
    throw new TsctrError('--add-host NAME:host-gateway needs a network that reaches the host', {
      hint: 'add --network pasta (or slirp4netns, or host), or publish a port with -p',
    });
  }
  const ports = await chooseHostPorts(requested);
  const args = commandLine(image, opts.command, opts.entrypoint);
  if (!args.length)
    throw new TsctrError('No command specified', { hint: 'give a command after the image name' });

  const idmap = currentIdMap();
  if (idmap.single) {
    opts.onNotice?.(
      'WARNING: no subordinate ids for this user in /etc/subuid and /etc/subgid; only uid 0 exists in the container',
    );
  }
  const layersTopDown = [...image.layers].reverse();
  const user = resolveUser(
    opts.user ?? image.config.config?.User ?? '',
    layersTopDown.map((d) => join(store.layerDir(d), 'diff')),
  );
  if (user.uid >= mappedCount(idmap.uids) || user.gid >= mappedCount(idmap.gids)) {
    throw new TsctrError(`user ${user.uid}:${user.gid} is not mapped in the user namespace`, {
      hint: 'add a larger range for your user to /etc/subuid and /etc/subgid',
    });
  }
  // Refuses a bad --cap-add or an unreadable seccomp profile before anything is made.
  checkSecurity(opts.security ?? {});

  const id = newContainerId();
  const dirs = containerDirs(opts.paths, id);
  const name = reserveName(opts.paths, id, opts.name);
  let mounts: MountRecord[];
  try {
    mounts = containerMounts(opts.paths, opts.mounts ?? {}, (n) => lookupContainer(opts.paths, n));
  } catch (err) {
    removeNameFile(opts.paths, name);
    throw err;
  }
  const hostname = opts.hostname ?? shared?.config.Hostname ?? id.slice(0, 12);
  const cwd = opts.workdir || image.config.config?.WorkingDir || '/';
  let env = [DEFAULT_PATH, `HOSTNAME=${hostname}`];
  env = mergeEnv(
    env,
    mergeEnv(image.config.config?.Env ?? [], expandEnvFlags([...fileEnv, ...opts.env])),
  );
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  // docker sets TERM for a terminal the image did not configure.
  if (opts.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');

  const record: ContainerRecord = {
    id,
    name,
    image: opts.image,
    imageId: image.id,
    created: new Date().toISOString(),
    path: args[0]!,
    args: args.slice(1),
    config: {
      Hostname: hostname,
      User: opts.user ?? image.config.config?.User ?? '',
      Env: env,
      Cmd: opts.command.length ? opts.command : (image.config.config?.Cmd ?? []),
      Entrypoint:
        opts.entrypoint !== undefined
          ? [opts.entrypoint]
          : (image.config.config?.Entrypoint ?? null),
      WorkingDir: cwd,
      OpenStdin: opts.interactive,
      ...(opts.interactive && opts.attached !== false ? { StdinOnce: true } : {}),
      Labels: { ...(image.config.config?.Labels ?? {}), ...parseLabels(opts.labels ?? []) },
      StopSignal: stopSignal ?? image.config.config?.StopSignal,
      ...(opts.stopTimeout !== undefined ? { StopTimeout: opts.stopTimeout } : {}),
      Tty: !!opts.tty,
      ...(exposed.length ? { ExposedPorts: Object.fromEntries(exposed.map((k) => [k, {}])) } : {}),
    },
    ...(userNet
      ? {
          networks: {
            [userNet.Name]: {
              NetworkID: userNet.Id,
              Aliases: opts.networkAliases ?? [],
              ...(opts.ip ? { IPAMConfig: { IPv4Address: opts.ip } } : {}),
            },
          },
        }
      : {}),
    hostConfig: {
      AutoRemove: opts.rm,
      NetworkMode: shared ? `container:${shared.id}` : (userNet?.Name ?? net.mode),
      ...(requested.length ? { PortBindings: portBindings(requested) } : {}),
      Privileged: !!opts.security?.privileged,
      CapAdd: opts.security?.capAdd ?? null,
      CapDrop: opts.security?.capDrop ?? null,
      SecurityOpt: opts.security?.securityOpt ?? null,
      Binds: opts.mounts?.volume?.length ? opts.mounts.volume : null,
      ...(restart ? { RestartPolicy: restart } : {}),
      ExtraHosts: opts.addHosts?.length ? opts.addHosts : null,
      ...(links.length ? { Links: links.map((l) => `/${l.name}:/${name}/${l.alias}`) } : {}),
      ...(opts.dns?.length ? { Dns: opts.dns } : {}),
      ...(opts.dnsSearch?.length ? { DnsSearch: opts.dnsSearch } : {}),
      ...(opts.dnsOptions?.length ? { DnsOptions: opts.dnsOptions } : {}),
      GroupAdd: opts.groupAdd?.length ? opts.groupAdd : null,
      ReadonlyRootfs: !!opts.readOnly,
      Ulimits: ulimits.length ? ulimits : null,
      ...storedResources(limits.resources),
      ...(shmSize !== undefined ? { ShmSize: shmSize } : {}),
      ...(opts.init ? { Init: true } : {}),
      LogConfig: logConfig,
    },
    layers: image.layers,
    mounts,
    ...(ports.length ? { ports } : {}),
  };
  try {
    for (const d of ['upper', 'work', 'merged'])
      mkdirSync(join(dirs.storage, d), { recursive: true, mode: 0o755 });
    saveContainer(opts.paths, record);
  } catch (err) {
    rmSync(dirs.storage, { recursive: true, force: true });
    removeNameFile(opts.paths, name);
    throw err;
  }
  return record;
}

/**
 * The container whose network --network container:NAME joins; docker's conflicts: the network
 * is that container's, names and resolvers included.
 */
function sharedNetwork(opts: CreateOptions, target: string): ContainerRecord {
  const conflicts: [boolean, string][] = [
    [opts.hostname !== undefined, 'hostname'],
    [!!(opts.dns?.length || opts.dnsSearch?.length || opts.dnsOptions?.length), 'dns'],
    [!!opts.addHosts?.length, 'custom host-to-IP mapping'],
  ];
  for (const [given, what] of conflicts) {
    if (given) {
      throw new TsctrError(`conflicting options: ${what} and the network mode`, {
        hint: `the container shares ${target}'s network, and its ${what === 'dns' ? 'resolvers' : what === 'hostname' ? 'hostname' : '/etc/hosts'}`,
      });
    }
  }
  const c = lookupContainer(opts.paths, target);
  if (!c) throw noSuchContainer(target);
  if (c.hostConfig.NetworkMode.startsWith('container:')) {
    throw new TsctrError(`${target} shares another container's network itself`, {
      hint: `give the container that owns it: ${c.hostConfig.NetworkMode}`,
    });
  }
  return c;
}

/**
 * The user network --network names (src/storage/networks.ts), checked with --ip and
 * --network-alias as docker checks them; undefined for a network mode.
 */
function userNetwork(opts: CreateOptions): NetworkRecord | undefined {
  const name = opts.network;
  const rec =
    name !== undefined && !isNetworkMode(name) ? findNetwork(opts.paths, name) : undefined;
  if (name !== undefined && !isNetworkMode(name) && !rec) {
    throw new TsctrError(`network ${name} not found`, {
      hint: `create it with tsctr network create ${name}, or see tsctr network ls`,
    });
  }
  if ((!rec || isDefaultBridge(rec)) && opts.networkAliases?.length) {
    throw new TsctrError(
      'network-scoped alias is supported only for containers in user defined networks',
      {
        hint: 'create a network (tsctr network create NAME) and run with --network NAME',
      },
    );
  }
  if ((!rec || isDefaultBridge(rec)) && opts.ip !== undefined) {
    throw new TsctrError('user specified IP address is supported on user defined networks only', {
      hint: 'create a network (tsctr network create NAME) and run with --network NAME',
    });
  }
  if (rec && opts.ip !== undefined) {
    const cfg = rec.IPAM.Config[0]!;
    allocateAddress(cfg.Subnet, cfg.Gateway, new Set(), { ip: opts.ip, required: true });
  }
  return rec;
}

/** --link NAME[:ALIAS]: the container must exist now (docker keeps "/NAME:/SELF/ALIAS"). */
function linkTarget(paths: StatePaths, link: string): { name: string; alias: string } {
  const [target = '', alias = target] = link.split(':');
  const c = target ? lookupContainer(paths, target) : undefined;
  if (!c) {
    throw new TsctrError(`could not get container for ${target}: No such container: ${target}`, {
      hint: 'give a container that exists (tsctr ps -a)',
    });
  }
  return { name: c.name, alias };
}
