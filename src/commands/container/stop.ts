import { Flags } from '../../cli/flags.ts';
import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { intFlag } from '../../cli/parse.ts';
import { stopContainers } from '../../runtime/lifecycle.ts';

export default class Stop extends ContainerBatchCommand {
  static override summary = 'Stop one or more running containers';
  static override aliases = ['stop'];
  static override examples = ['<%= config.bin %> stop web', '<%= config.bin %> stop -t 2 web db'];
  static override flags = {
    time: Flags.string({
      char: 't',
      description:
        'Seconds to wait before killing the container, -1 for no limit (default: its --stop-timeout, else 10)',
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Stop);
    const seconds =
      flags.time === undefined ? undefined : intFlag(this.id!, '-t, --time', flags.time);
    const outcomes = await stopContainers(this.paths, argv, seconds);
    this.reportBatch(outcomes);
  }
}
