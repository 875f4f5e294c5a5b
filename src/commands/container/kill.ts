import { Flags } from '../../cli/flags.ts';
import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { killContainers, parseSignal } from '../../runtime/lifecycle.ts';

export default class Kill extends ContainerBatchCommand {
  static override summary = 'Kill one or more running containers';
  static override aliases = ['kill'];
  static override examples = ['<%= config.bin %> kill web', '<%= config.bin %> kill -s HUP web'];
  static override flags = {
    signal: Flags.string({
      char: 's',
      description: 'Signal to send to the container (default "KILL")',
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Kill);
    const outcomes = await killContainers(this.paths, argv, parseSignal(flags.signal ?? 'KILL'));
    this.reportBatch(outcomes);
  }
}
