import { ContainerBatchCommand, stopSeconds, stopTimeFlag } from '../../cli/batch-command.ts';
import { restartContainers } from '../../runtime/lifecycle.ts';

export default class Restart extends ContainerBatchCommand {
  static override summary = 'Restart one or more containers';
  static override aliases = ['restart'];
  static override examples = [
    '<%= config.bin %> restart web',
    '<%= config.bin %> restart -t 2 web',
  ];
  static override flags = {
    time: stopTimeFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Restart);
    const seconds = stopSeconds(this.id!, flags.time);
    this.reportBatch(await restartContainers(this.paths, argv, seconds));
  }
}
