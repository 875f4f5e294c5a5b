import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { pauseContainers } from '../../runtime/lifecycle.ts';

export default class Pause extends ContainerBatchCommand {
  static override summary = 'Pause all processes within one or more containers';
  static override aliases = ['pause'];
  static override examples = ['<%= config.bin %> pause web', '<%= config.bin %> unpause web'];

  async run(): Promise<void> {
    const { argv } = this.parse(Pause);
    this.reportBatch(await pauseContainers(this.paths, argv));
  }
}
