import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { pullPrinter } from '../../cli/pull-progress.ts';
import { runContainer } from '../../runtime/run.ts';
import { imageForContainer } from '../../images/for-container.ts';
import { TsctrError } from '../../errors.ts';

export default class Run extends TsctrCommand {
  static override summary = 'Create and run a new container from an image';
  static override aliases = ['run'];
  static override examples = [
    '<%= config.bin %> run --rm busybox echo hello',
    "<%= config.bin %> run --rm -e GREETING=hi -w /tmp busybox sh -c 'echo $GREETING; pwd'",
    '<%= config.bin %> run --name box -u 1000:1000 busybox id',
  ];
  // COMMAND and its ARGs name nothing tsctr knows: the shell completes files there.
  static override completion: ArgCompletion[] = ['image', null];
  static override usage = '[OPTIONS] IMAGE [COMMAND] [ARG...]';
  static override interspersed = false;
  static override strict = false;
  static override args = { image: Args.string({ required: true, description: 'image to run' }) };
  static override flags = {
    detach: Flags.boolean({
      char: 'd',
      description: 'Run container in background and print container ID',
    }),
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
    rm: Flags.boolean({
      description:
        'Automatically remove the container and its associated anonymous volumes when it exits',
    }),
    tty: Flags.boolean({ char: 't', description: 'Allocate a pseudo-TTY' }),
    user: Flags.string({
      char: 'u',
      description: 'Username or UID (format: <name|uid>[:<group|gid>])',
    }),
    workdir: Flags.string({ char: 'w', description: 'Working directory inside the container' }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = this.parse(Run);
    if (flags.tty) {
      throw new TsctrError('--tty is not supported yet', {
        hint: 'run the container without -t',
      });
    }
    if (flags.detach && flags.interactive) {
      throw new TsctrError('--detach with --interactive is not supported yet', {
        hint: 'run it in the foreground with -i, or detached without it',
      });
    }
    const command = argv.slice(1);
    const result = await runContainer({
      paths: this.paths,
      image: args.image,
      findImage: () =>
        imageForContainer({
          paths: this.paths,
          input: args.image,
          onPull: pullPrinter((l) => this.err(l), false),
          onNotice: (t) => this.err(t),
        }),
      command,
      name: flags.name,
      rm: flags.rm,
      env: flags.env,
      workdir: flags.workdir,
      user: flags.user,
      entrypoint: flags.entrypoint,
      hostname: flags.hostname,
      network: flags.network,
      interactive: flags.interactive,
      detach: flags.detach,
      onNotice: (t) => this.err(t),
    });
    if ('detached' in result) this.out(result.detached);
    else process.exitCode = result.exitCode;
  }
}
