import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { createFlags, createOptions } from '../../cli/create-flags.ts';
import { runContainer } from '../../runtime/run.ts';
import { TsctrError } from '../../errors.ts';
import { rawMode, requireTerminalInput } from '../../cli/terminal.ts';

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
  };

  async run(): Promise<void> {
    const { args, flags, argv } = this.parse(Run);
    if (flags.detach && flags.interactive) {
      throw new TsctrError('--detach with --interactive is not supported yet', {
        hint: 'run it in the foreground with -i, or detached without it',
      });
    }
    // The terminal is raw only while a container runs on it in the foreground.
    let restore: (() => void) | undefined;
    if (flags.tty && flags.interactive && !flags.detach) {
      requireTerminalInput();
      restore = rawMode();
    }
    const result = await runContainer({
      ...createOptions({
        paths: this.paths,
        image: args.image,
        command: argv.slice(1),
        flags,
        err: (l) => this.err(l),
      }),
      detach: flags.detach,
    }).finally(() => restore?.());
    if ('detached' in result) this.out(result.detached);
    else process.exitCode = result.exitCode;
  }
}
