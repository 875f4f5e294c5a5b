/**
 * The flags `create` and `run` share (docker's), and how they become the domain's
 * CreateOptions. `run` adds --detach.
 */
import type { StatePaths } from '../config/paths.ts';
import { imageForContainer } from '../images/for-container.ts';
import type { CreateOptions } from '../runtime/create.ts';
import type { LimitFlags } from '../runtime/limits/parse.ts';
import { Flags } from './flags.ts';
import { pullPrinter } from './pull-progress.ts';
import { intFlag } from './parse.ts';

/** The resource limits `create`, `run` and `update` share (docker's). */
export const limitFlags = {
  memory: Flags.string({ char: 'm', description: 'Memory limit (e.g. 512m, 1g)' }),
  'memory-reservation': Flags.string({ description: 'Memory soft limit' }),
  'memory-swap': Flags.string({
    description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
  }),
  cpus: Flags.string({ description: 'Number of CPUs (e.g. 0.5)' }),
  'cpu-shares': Flags.string({ char: 'c', description: 'CPU shares (relative weight)' }),
  'cpu-period': Flags.string({
    description: 'Limit CPU CFS (Completely Fair Scheduler) period',
  }),
  'cpu-quota': Flags.string({ description: 'Limit CPU CFS (Completely Fair Scheduler) quota' }),
  'cpuset-cpus': Flags.string({ description: 'CPUs in which to allow execution (0-3, 0,1)' }),
  'cpuset-mems': Flags.string({ description: 'MEMs in which to allow execution (0-3, 0,1)' }),
  'pids-limit': Flags.string({
    description: 'Tune container pids limit (set -1 for unlimited)',
  }),
  'blkio-weight': Flags.string({
    description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)',
  }),
};

/** The limit flags' values, as the domain takes them. */
export function limitValues(
  flags: Pick<
    CreateFlagValues,
    | 'memory'
    | 'memory-reservation'
    | 'memory-swap'
    | 'cpus'
    | 'cpu-shares'
    | 'cpu-period'
    | 'cpu-quota'
    | 'cpuset-cpus'
    | 'cpuset-mems'
    | 'pids-limit'
    | 'blkio-weight'
  >,
): LimitFlags {
  return {
    memory: flags.memory,
    memoryReservation: flags['memory-reservation'],
    memorySwap: flags['memory-swap'],
    cpus: flags.cpus,
    cpuShares: flags['cpu-shares'],
    cpuPeriod: flags['cpu-period'],
    cpuQuota: flags['cpu-quota'],
    cpusetCpus: flags['cpuset-cpus'],
    cpusetMems: flags['cpuset-mems'],
    pidsLimit: flags['pids-limit'],
    blkioWeight: flags['blkio-weight'],
  };
}

export const createFlags = {
  'cap-add': Flags.strings({ description: 'Add Linux capabilities' }),
  'cap-drop': Flags.strings({ description: 'Drop Linux capabilities' }),
  'add-host': Flags.strings({ description: 'Add a custom host-to-IP mapping (host:ip)' }),
  dns: Flags.strings({ description: 'Set custom DNS servers' }),
  'dns-option': Flags.strings({ description: 'Set DNS options' }),
  'dns-search': Flags.strings({ description: 'Set custom DNS search domains' }),
  entrypoint: Flags.string({ description: 'Overwrite the default ENTRYPOINT of the image' }),
  env: Flags.strings({ char: 'e', description: 'Set environment variables' }),
  'env-file': Flags.strings({ description: 'Read in a file of environment variables' }),
  'group-add': Flags.strings({ description: 'Add additional groups to join' }),
  hostname: Flags.string({ char: 'h', description: 'Container host name' }),
  init: Flags.boolean({
    description: 'Run an init inside the container that forwards signals and reaps processes',
  }),
  interactive: Flags.boolean({ char: 'i', description: 'Keep STDIN open' }),
  label: Flags.strings({ char: 'l', description: 'Set meta data on a container' }),
  'log-driver': Flags.string({
    description: 'Logging driver for the container (json-file, k8s-file, none)',
  }),
  'log-opt': Flags.strings({ description: 'Log driver options (max-size, max-file)' }),
  mount: Flags.strings({
    description:
      'Attach a filesystem mount to the container (type=bind|volume|tmpfs,source=…,target=…[,readonly])',
  }),
  name: Flags.string({ description: 'Assign a name to the container' }),
  network: Flags.string({
    aliases: ['net'],
    completion: 'network',
    description:
      'Connect a container to a network (a user network, none, host, pasta, slirp4netns, container:NAME)',
  }),
  link: Flags.strings({ description: 'Add link to another container (NAME[:ALIAS])' }),
  'network-alias': Flags.strings({
    description: 'Add network-scoped alias for the container',
  }),
  ip: Flags.string({ description: 'IPv4 address (e.g., 172.30.100.104)' }),
  'publish-all': Flags.boolean({
    char: 'P',
    description: 'Publish all exposed ports to random ports',
  }),
  expose: Flags.strings({ description: 'Expose a port or a range of ports' }),
  publish: Flags.strings({
    char: 'p',
    description:
      "Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/proto])",
  }),
  pull: Flags.string({
    description: 'Pull image before running ("always", "missing", "never") (default "missing")',
  }),
  ...limitFlags,
  'device-read-bps': Flags.strings({
    description: 'Limit read rate (bytes per second) from a device (e.g. /dev/sda:1mb)',
  }),
  'device-write-bps': Flags.strings({
    description: 'Limit write rate (bytes per second) to a device (e.g. /dev/sda:1mb)',
  }),
  'device-read-iops': Flags.strings({
    description: 'Limit read rate (IO per second) from a device (e.g. /dev/sda:1000)',
  }),
  'device-write-iops': Flags.strings({
    description: 'Limit write rate (IO per second) to a device (e.g. /dev/sda:1000)',
  }),
  'oom-kill-disable': Flags.boolean({ description: 'Disable OOM Killer' }),
  'ignore-limits': Flags.boolean({
    description:
      'Run without the resource limits given where this host cannot apply them (no delegated cgroup v2), instead of refusing',
  }),
  'read-only': Flags.boolean({
    description:
      "Mount the container's root filesystem as read only (/run and /tmp stay writable tmpfs)",
  }),
  privileged: Flags.boolean({
    description:
      'Give extended privileges to this container (every capability of its user namespace, no seccomp filter, no masked paths)',
  }),
  restart: Flags.string({
    description:
      'Restart policy to apply when a container exits (no, on-failure[:max-retries], always, unless-stopped)',
  }),
  rm: Flags.boolean({
    description:
      'Automatically remove the container and its associated anonymous volumes when it exits',
  }),
  'shm-size': Flags.string({ description: 'Size of /dev/shm (e.g. 64m)' }),
  'stop-signal': Flags.string({
    description: "Signal to stop the container (default the image's, else SIGTERM)",
  }),
  'stop-timeout': Flags.string({
    description: 'Timeout (in seconds) to stop a container (default 10)',
  }),
  ulimit: Flags.strings({ description: 'Ulimit options (e.g. nofile=1024:2048)' }),
  'security-opt': Flags.strings({
    description: 'Security Options (no-new-privileges, seccomp=unconfined|PROFILE.json)',
  }),
  tmpfs: Flags.strings({ description: 'Mount a tmpfs directory (/path[:options])' }),
  tty: Flags.boolean({ char: 't', description: 'Allocate a pseudo-TTY' }),
  user: Flags.string({
    char: 'u',
    description: 'Username or UID (format: <name|uid>[:<group|gid>])',
  }),
  volume: Flags.strings({
    char: 'v',
    completion: 'volume',
    description: 'Bind mount a volume ([/host/path|name:]/ctr/path[:ro])',
  }),
  'volumes-from': Flags.strings({
    completion: 'container',
    description: 'Mount volumes from the specified container(s) (NAME[:ro|rw])',
  }),
  workdir: Flags.string({ char: 'w', description: 'Working directory inside the container' }),
};

export interface CreateFlagValues {
  memory?: string | undefined;
  'memory-reservation'?: string | undefined;
  'memory-swap'?: string | undefined;
  cpus?: string | undefined;
  'cpu-shares'?: string | undefined;
  'cpu-period'?: string | undefined;
  'cpu-quota'?: string | undefined;
  'cpuset-cpus'?: string | undefined;
  'cpuset-mems'?: string | undefined;
  'pids-limit'?: string | undefined;
  'blkio-weight'?: string | undefined;
  'device-read-bps': string[];
  'device-write-bps': string[];
  'device-read-iops': string[];
  'device-write-iops': string[];
  'oom-kill-disable': boolean;
  'ignore-limits': boolean;
  'add-host': string[];
  'env-file': string[];
  'group-add': string[];
  label: string[];
  pull?: string | undefined;
  'read-only': boolean;
  'shm-size'?: string | undefined;
  'stop-signal'?: string | undefined;
  'stop-timeout'?: string | undefined;
  ulimit: string[];
  'cap-add': string[];
  'cap-drop': string[];
  entrypoint?: string | undefined;
  env: string[];
  hostname?: string | undefined;
  init: boolean;
  interactive: boolean;
  'log-driver'?: string | undefined;
  'log-opt': string[];
  mount: string[];
  name?: string | undefined;
  network?: string | undefined;
  'network-alias': string[];
  link: string[];
  ip?: string | undefined;
  publish: string[];
  'publish-all': boolean;
  dns: string[];
  'dns-option': string[];
  'dns-search': string[];
  expose: string[];
  privileged: boolean;
  restart?: string | undefined;
  rm: boolean;
  'security-opt': string[];
  tmpfs: string[];
  tty: boolean;
  user?: string | undefined;
  volume: string[];
  'volumes-from': string[];
  workdir?: string | undefined;
}

export function createOptions(opts: {
  paths: StatePaths;
  image: string;
  command: string[];
  flags: CreateFlagValues;
  err: (line: string) => void;
}): CreateOptions {
  const { flags, paths, image, err } = opts;
  return {
    paths,
    image,
    findImage: () =>
      imageForContainer({
        paths,
        input: image,
        onPull: pullPrinter(err, false),
        onNotice: err,
        pull: flags.pull,
      }),
    command: opts.command,
    name: flags.name,
    rm: flags.rm,
    env: flags.env,
    workdir: flags.workdir,
    user: flags.user,
    entrypoint: flags.entrypoint,
    hostname: flags.hostname,
    network: flags.network,
    networkAliases: flags['network-alias'],
    links: flags.link,
    ip: flags.ip,
    publish: flags.publish,
    publishAll: flags['publish-all'],
    dns: flags.dns,
    dnsSearch: flags['dns-search'],
    dnsOptions: flags['dns-option'],
    expose: flags.expose,
    interactive: flags.interactive,
    tty: flags.tty,
    init: flags.init,
    logDriver: flags['log-driver'],
    logOpts: flags['log-opt'],
    restart: flags.restart,
    envFiles: flags['env-file'],
    labels: flags.label,
    addHosts: flags['add-host'],
    groupAdd: flags['group-add'],
    readOnly: flags['read-only'],
    shmSize: flags['shm-size'],
    stopSignal: flags['stop-signal'],
    ulimits: flags.ulimit,
    limits: {
      ...limitValues(flags),
      deviceReadBps: flags['device-read-bps'],
      deviceWriteBps: flags['device-write-bps'],
      deviceReadIops: flags['device-read-iops'],
      deviceWriteIops: flags['device-write-iops'],
      oomKillDisable: flags['oom-kill-disable'],
    },
    ignoreLimits: flags['ignore-limits'],
    stopTimeout:
      flags['stop-timeout'] === undefined
        ? undefined
        : intFlag('run', '--stop-timeout', flags['stop-timeout']),
    security: {
      capAdd: flags['cap-add'],
      capDrop: flags['cap-drop'],
      securityOpt: flags['security-opt'],
      privileged: flags.privileged,
    },
    mounts: {
      volume: flags.volume,
      mount: flags.mount,
      tmpfs: flags.tmpfs,
      volumesFrom: flags['volumes-from'],
    },
    onNotice: err,
  };
}
