import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { confirm } from '../../cli/prompt.ts';
import { parseFilters, validateFilters } from '../../images/filter-args.ts';
import { pruneNetworks } from '../../runtime/networks.ts';

const WARNING = 'WARNING! This will remove all custom networks not used by at least one container.';

export default class NetworkPrune extends TsctrCommand {
  static override summary = 'Remove all unused networks';
  static override examples = ['<%= config.bin %> network prune -f'];
  static override usage = '[OPTIONS]';
  static override flags = {
    filter: Flags.strings({
      helpValue: 'filter',
      description: "Provide filter values (e.g. 'label=<key>=<value>')",
    }),
    force: Flags.boolean({ char: 'f', description: 'Do not prompt for confirmation' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(NetworkPrune);
    const filters = parseFilters(flags.filter, '--filter', this.id!);
    validateFilters(filters, ['label']);
    if (!flags.force && !confirm(`${WARNING}\nAre you sure you want to continue?`)) return;
    const names = await pruneNetworks(this.paths, filters.get('label'));
    if (names.length) this.out(`Deleted Networks:\n${names.join('\n')}\n`);
  }
}
