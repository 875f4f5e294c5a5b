import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { createFlags, createOptions } from '../../cli/create-flags.ts';
import { runContainer } from '../../runtime/run.ts';
import { terminalIo } from '../../cli/attach-io.ts';

export default class Run extends TsctrCommand {
  static override summary = 'Create and run a new container from an image';
  static override aliases = ['run'];
  static override examples = [
    '<%= config.bin %> run --rm busybox echo hello',
    "<%= config.bin %> run --rm -e GREETING=hi -w /tmp busybox sh -c 'echo $GREETING; pwd'",
    '<%= config.bin %> run --name box -u 1000:1000 busybox id',
    '<%= config.bin %> run -d --name web busybox httpd -f',
  ];
  // COMMAND and its ARGs name nothing tsctr knows: the shell completes files there.
  static override completion: ArgCompletion[] = ['image', null];
  static override usage = '[OPTIONS] IMAGE [COMMAND] [ARG...]';
  static override interspersed = false;
  static override strict = false;
  static override args = { image: Args.string({ required: true, description: 'image to run' }) };
  static override flags = {
    ...createFlags,
    detach: Flags.boolean({
      char: 'd',
      description: 'Run container in background and print container ID',
    }),
    'detach-keys': Flags.string({
      description: 'Override the key sequence for detaching a container (default "ctrl-p,ctrl-q")',
    }),
    'sig-proxy': Flags.boolean({
      default: true,
      description: 'Proxy received signals to the process (default true)',
    }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = this.parse(Run);
    // The terminal is raw only while a container runs on it in the foreground.
    const term = flags.detach
      ? undefined
      : terminalIo({
          stdin: flags.interactive,
          tty: flags.tty,
          detachKeys: flags['detach-keys'],
        });
    const result = await runContainer({
      ...createOptions({
        paths: this.paths,
        image: args.image,
        command: argv.slice(1),
        flags,
        err: (l) => this.err(l),
      }),
      detach: flags.detach,
      io: term?.io,
      sigProxy: flags['sig-proxy'],
    }).finally(() => term?.restore());
    if ('detached' in result) this.out(result.detached);
    else process.exitCode = result.exitCode;
  }
}
