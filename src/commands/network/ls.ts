import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { filterBool, parseFilters, validateFilters } from '../../images/filter-args.ts';
import { renderList } from '../../format/index.ts';
import { networkRows } from '../../runtime/networks.ts';

const headers = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

export default class NetworkLs extends TsctrCommand {
  static override summary = 'List networks';
  static override aliases = ['network:list'];
  static override examples = [
    '<%= config.bin %> network ls',
    '<%= config.bin %> network ls -f type=custom -q',
  ];
  static override usage = '[OPTIONS]';
  static override flags = {
    filter: Flags.strings({
      char: 'f',
      helpValue: 'filter',
      description: "Provide filter values (e.g. 'driver=bridge', 'name=app', 'type=custom')",
    }),
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
    }),
    'no-trunc': Flags.boolean({ description: 'Do not truncate the output' }),
    quiet: Flags.boolean({ char: 'q', description: 'Only display network IDs' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(NetworkLs);
    const filters = parseFilters(flags.filter, '-f, --filter', this.id!);
    validateFilters(filters, ['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);
    const rows = networkRows(this.paths, {
      driver: filters.get('driver'),
      id: filters.get('id'),
      label: filters.get('label'),
      name: filters.get('name'),
      scope: filters.get('scope'),
      type: filters.get('type'),
      dangling: filters.has('dangling') ? filterBool(filters, 'dangling', false) : undefined,
    }).map((r) => (flags['no-trunc'] ? r : { ...r, ID: r.ID.slice(0, 12) }));
    this.out(
      renderList(rows, {
        format: flags.quiet ? '{{.ID}}' : flags.format,
        defaultFormat: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
        headers,
      }),
    );
  }
}
