import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { limitFlags, limitValues } from '../../cli/create-flags.ts';
import { updateContainers } from '../../runtime/update.ts';

export default class Update extends ContainerBatchCommand {
  static override summary = 'Update configuration of one or more containers';
  static override aliases = ['update'];
  static override examples = [
    '<%= config.bin %> update --memory 256m --memory-swap 512m web',
    '<%= config.bin %> update --cpus 1.5 --pids-limit 200 web db',
  ];
  static override flags = limitFlags;

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Update);
    this.reportBatch(await updateContainers(this.paths, argv, limitValues(flags)));
  }
}
