import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { terminalIo, type TerminalIo } from '../../cli/attach-io.ts';
import { attachContainer } from '../../runtime/attach.ts';

export default class Attach extends TsctrCommand {
  static override summary =
    'Attach local standard input, output, and error streams to a running container';
  static override aliases = ['attach'];
  static override usage = '[OPTIONS] CONTAINER';
  static override completion: ArgCompletion[] = ['container'];
  static override examples = [
    '<%= config.bin %> attach web',
    '<%= config.bin %> attach --detach-keys ctrl-x shell',
  ];
  static override args = {
    container: Args.string({ required: true, description: 'container to attach to' }),
  };
  static override flags = {
    'detach-keys': Flags.string({
      description: 'Override the key sequence for detaching a container (default "ctrl-p,ctrl-q")',
    }),
    'no-stdin': Flags.boolean({ description: 'Do not attach STDIN' }),
    'sig-proxy': Flags.boolean({
      default: true,
      description: 'Proxy all received signals to the process (default true)',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Attach);
    let term: TerminalIo | undefined;
    try {
      process.exitCode = await attachContainer(
        this.paths,
        args.container,
        (c) => {
          term = terminalIo({
            stdin: !flags['no-stdin'] && c.openStdin,
            tty: c.tty,
            detachKeys: flags['detach-keys'],
          });
          return term.io;
        },
        { sigProxy: flags['sig-proxy'] },
      );
    } finally {
      term?.restore();
    }
  }
}
