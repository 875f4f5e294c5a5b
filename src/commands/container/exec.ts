import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { execInContainer } from '../../runtime/exec.ts';
import { TsctrError } from '../../errors.ts';
import { terminalIo } from '../../cli/attach-io.ts';

export default class Exec extends TsctrCommand {
  static override summary = 'Execute a command in a running container';
  static override aliases = ['exec'];
  static override examples = [
    '<%= config.bin %> exec web cat /etc/hostname',
    '<%= config.bin %> exec -e DEBUG=1 -w /tmp -u 1000 web env',
    '<%= config.bin %> exec -d web touch /tmp/flag',
  ];
  // The COMMAND names nothing tsctr knows: the shell completes files there.
  static override completion: ArgCompletion[] = ['container', null];
  static override usage = '[OPTIONS] CONTAINER COMMAND [ARG...]';
  static override interspersed = false;
  static override strict = false;
  static override args = {
    container: Args.string({ required: true, description: 'the running container' }),
  };
  static override flags = {
    detach: Flags.boolean({
      char: 'd',
      description: 'Detached mode: run command in the background',
    }),
    'detach-keys': Flags.string({
      description: 'Override the key sequence for detaching a container (default "ctrl-p,ctrl-q")',
    }),
    env: Flags.strings({ char: 'e', description: 'Set environment variables' }),
    interactive: Flags.boolean({ char: 'i', description: 'Keep STDIN open even if not attached' }),
    privileged: Flags.boolean({ description: 'Give extended privileges to the command' }),
    tty: Flags.boolean({ char: 't', description: 'Allocate a pseudo-TTY' }),
    user: Flags.string({
      char: 'u',
      description: 'Username or UID (format: "<name|uid>[:<group|gid>]")',
    }),
    workdir: Flags.string({ char: 'w', description: 'Working directory inside the container' }),
  };

  async run(): Promise<void> {
    const { args, flags, argv } = this.parse(Exec);
    if (flags.tty && flags.detach) {
      throw new TsctrError('--detach with --tty is not supported', {
        hint: 'a detached exec has no terminal to show; drop -t',
      });
    }
    const term =
      flags.tty && !flags.detach
        ? terminalIo({
            stdin: flags.interactive,
            tty: true,
            detachKeys: flags['detach-keys'],
          })
        : undefined;
    const result = await execInContainer({
      paths: this.paths,
      container: args.container,
      command: argv.slice(1),
      env: flags.env,
      workdir: flags.workdir,
      user: flags.user,
      privileged: flags.privileged,
      interactive: flags.interactive,
      detach: flags.detach,
      tty: flags.tty,
      io: term?.io,
    }).finally(() => term?.restore());
    process.exitCode = result.exitCode;
  }
}
