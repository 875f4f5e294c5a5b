/**
 * The flags `create` and `run` share (docker's), and how they become the domain's
 * CreateOptions. `run` adds --detach.
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
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
  rm: Flags.boolean({
    description:
      'Automatically remove the container and its associated anonymous volumes when it exits',
  }),
  'security-opt': Flags.strings({
    description: 'Security Options (no-new-privileges, seccomp=unconfined|PROFILE.json)',
  }),
  tty: Flags.boolean({ char: 't', description: 'Allocate a pseudo-TTY' }),
  user: Flags.string({
    char: 'u',
    description: 'Username or UID (format: <name|uid>[:<group|gid>])',
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
  name?: string | undefined;
  network?: string | undefined;
  privileged: boolean;
  rm: boolean;
  'security-opt': string[];
  tty: boolean;
  user?: string | undefined;
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
  if (flags.tty) {
    throw new TsctrError('--tty is not supported yet', { hint: 'run the container without -t' });
  }
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
    security: {
      capAdd: flags['cap-add'],
      capDrop: flags['cap-drop'],
      securityOpt: flags['security-opt'],
      privileged: flags.privileged,
    },
    onNotice: err,
  };
}
