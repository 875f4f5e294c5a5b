import { Flags } from '../../cli/flags.ts';
import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { TsctrError } from '../../errors.ts';
import { terminalIo, type TerminalIo } from '../../cli/attach-io.ts';
import { startAttached, startContainers } from '../../runtime/lifecycle.ts';

export default class Start extends ContainerBatchCommand {
  static override summary = 'Start one or more stopped containers';
  static override aliases = ['start'];
  static override examples = ['<%= config.bin %> start web', '<%= config.bin %> start -a job'];
  static override flags = {
    attach: Flags.boolean({
      char: 'a',
      description: "Attach STDOUT/STDERR and forward signals (the container's exit code is ours)",
    }),
    interactive: Flags.boolean({ char: 'i', description: "Attach container's STDIN" }),
    'detach-keys': Flags.string({
      description: 'Override the key sequence for detaching a container (default "ctrl-p,ctrl-q")',
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Start);
    if (flags.attach || flags.interactive) {
      if (argv.length > 1) {
        throw new TsctrError('you cannot start and attach multiple containers at once', {
          hint: 'start them without -a, then follow each with tsctr logs -f',
        });
      }
      let term: TerminalIo | undefined;
      try {
        process.exitCode = await startAttached(this.paths, argv[0]!, (c) => {
          term = terminalIo({
            stdin: flags.interactive && c.openStdin,
            tty: c.tty,
            detachKeys: flags['detach-keys'],
          });
          return term.io;
        });
      } finally {
        term?.restore();
      }
      return;
    }
    this.reportBatch(await startContainers(this.paths, argv));
  }
}
