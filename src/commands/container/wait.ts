import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { waitContainers } from '../../runtime/lifecycle.ts';

export default class Wait extends ContainerBatchCommand {
  static override summary = 'Block until one or more containers stop, then print their exit codes';
  static override aliases = ['wait'];
  static override examples = ['<%= config.bin %> wait web'];

  async run(): Promise<void> {
    const { argv } = this.parse(Wait);
    const outcomes = await waitContainers(this.paths, argv);
    // docker prints the exit codes, not the names.
    this.reportBatch(outcomes.map((o) => ({ ...o, input: String(o.value ?? '') })));
  }
}
