import { ContainerBatchCommand, stopSeconds, stopTimeFlag } from '../../cli/batch-command.ts';
import { stopContainers } from '../../runtime/lifecycle.ts';

export default class Stop extends ContainerBatchCommand {
  static override summary = 'Stop one or more running containers';
  static override aliases = ['stop'];
  static override examples = ['<%= config.bin %> stop web', '<%= config.bin %> stop -t 2 web db'];
  static override flags = {
    time: stopTimeFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Stop);
    const seconds = stopSeconds(this.id!, flags.time);
    const outcomes = await stopContainers(this.paths, argv, seconds);
    this.reportBatch(outcomes);
  }
}
