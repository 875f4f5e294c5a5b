import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { confirm } from '../../cli/prompt.ts';
import { humanSize } from '../../format/index.ts';
import { pruneContainers } from '../../runtime/lifecycle.ts';

export default class ContainerPrune extends TsctrCommand {
  static override summary = 'Remove all stopped containers';
  static override examples = ['<%= config.bin %> container prune -f'];
  static override usage = '[OPTIONS]';
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Do not prompt for confirmation' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(ContainerPrune);
    const warning = 'WARNING! This will remove all stopped containers.';
    if (!flags.force && !confirm(`${warning}\nAre you sure you want to continue?`)) return;
    const { ids, reclaimed } = await pruneContainers(this.paths);
    if (ids.length) this.out(`Deleted Containers:\n${ids.join('\n')}\n\n`);
    this.out(`Total reclaimed space: ${humanSize(reclaimed, 4)}`);
  }
}
