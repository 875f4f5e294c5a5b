/**
 * The flags `create` and `run` share (docker's), and how they become the domain's
 * CreateOptions. `run` adds --detach.
 */
import type { StatePaths } from '../config/paths.ts';
import { imageForContainer } from '../images/for-container.ts';
import type { CreateOptions } from '../runtime/create.ts';
import { Flags } from './flags.ts';
import { pullPrinter } from './pull-progress.ts';

export const createFlags = {
  'cap-add': Flags.strings({ description: 'Add Linux capabilities' }),
  'cap-drop': Flags.strings({ description: 'Drop Linux capabilities' }),
  entrypoint: Flags.string({ description: 'Overwrite the default ENTRYPOINT of the image' }),
  env: Flags.strings({ char: 'e', description: 'Set environment variables' }),
  hostname: Flags.string({ char: 'h', description: 'Container host name' }),
  interactive: Flags.boolean({ char: 'i', description: 'Keep STDIN open' }),
  mount: Flags.strings({
    description:
      'Attach a filesystem mount to the container (type=bind|volume|tmpfs,source=…,target=…[,readonly])',
  }),
  name: Flags.string({ description: 'Assign a name to the container' }),
  network: Flags.string({
    aliases: ['net'],
    completion: 'network',
    description: 'Connect a container to a network (only "none" for now)',
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
  'cap-add': string[];
  'cap-drop': string[];
  entrypoint?: string | undefined;
  env: string[];
  hostname?: string | undefined;
  interactive: boolean;
  mount: string[];
  name?: string | undefined;
  network?: string | undefined;
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
    interactive: flags.interactive,
    tty: flags.tty,
    restart: flags.restart,
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
