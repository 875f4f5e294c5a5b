import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { confirm } from '../../cli/prompt.ts';
import { TsctrError } from '../../errors.ts';
import { parseFilters, validateFilters } from '../../images/filter-args.ts';
import { parseTimestamp } from '../../images/timestamp.ts';
import { pruneNetworks } from '../../runtime/networks.ts';

const WARNING = 'WARNING! This will remove all custom networks not used by at least one container.';

export default class NetworkPrune extends TsctrCommand {
  static override summary = 'Remove all unused networks';
  static override examples = [
    '<%= config.bin %> network prune -f',
    '<%= config.bin %> network prune --filter until=24h --filter label=team=a',
  ];
  static override usage = '[OPTIONS]';
  static override flags = {
    filter: Flags.strings({
      helpValue: 'filter',
      description: "Provide filter values (e.g. 'until=<timestamp>', 'label=<key>=<value>')",
    }),
    force: Flags.boolean({ char: 'f', description: 'Do not prompt for confirmation' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(NetworkPrune);
    const filters = parseFilters(flags.filter, '--filter', this.id!);
    validateFilters(filters, ['label', 'label!', 'until']);
    const until = filters.get('until');
    if (until && until.length > 1) throw new TsctrError('more than one until filter specified');
    const untilMs = until && parseTimestamp(until[0]!);
    if (!flags.force && !confirm(`${WARNING}\nAre you sure you want to continue?`)) return;
    const names = await pruneNetworks(this.paths, filters, untilMs);
    // docker prints the list and then a newline of its own.
    if (names.length) this.out(`Deleted Networks:\n${names.join('\n')}\n\n`);
  }
}
