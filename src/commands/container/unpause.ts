import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { unpauseContainers } from '../../runtime/lifecycle.ts';

export default class Unpause extends ContainerBatchCommand {
  static override summary = 'Unpause all processes within one or more containers';
  static override aliases = ['unpause'];
  static override examples = ['<%= config.bin %> unpause web'];

  async run(): Promise<void> {
    const { argv } = this.parse(Unpause);
    this.reportBatch(await unpauseContainers(this.paths, argv));
  }
}
