import { Flags } from '../../cli/flags.ts';
import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { removeContainers } from '../../runtime/lifecycle.ts';

export default class Rm extends ContainerBatchCommand {
  static override summary = 'Remove one or more containers';
  static override aliases = ['container:remove', 'rm'];
  static override examples = ['<%= config.bin %> rm web', '<%= config.bin %> rm -f web db'];
  static override flags = {
    force: Flags.boolean({
      char: 'f',
      description: 'Force the removal of a running container (uses SIGKILL)',
    }),
    volumes: Flags.boolean({
      char: 'v',
      description: 'Remove anonymous volumes associated with the container',
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Rm);
    const outcomes = await removeContainers(this.paths, argv, flags.force, flags.volumes);
    this.reportBatch(outcomes);
  }
}
