import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { parseFilters, validateFilters } from '../../images/filter-args.ts';
import { renderList } from '../../format/index.ts';
import { networkRows } from '../../runtime/networks.ts';

const headers = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** docker's `--format raw` for networks. */
const RAW = 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';

export default class NetworkLs extends TsctrCommand {
  static override summary = 'List networks';
  static override aliases = ['network:list'];
  static override examples = [
    '<%= config.bin %> network ls',
    '<%= config.bin %> network ls -f type=custom -q',
    '<%= config.bin %> network ls --format \'{{.Name}} {{.Label "team"}}\'',
  ];
  static override usage = '[OPTIONS]';
  static override flags = {
    filter: Flags.strings({
      char: 'f',
      helpValue: 'filter',
      description:
        "Provide filter values (e.g. 'driver=bridge', 'name=app', 'type=custom', 'dangling=true')",
    }),
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'raw' or a Go template",
    }),
    'no-trunc': Flags.boolean({ description: 'Do not truncate the output' }),
    quiet: Flags.boolean({ char: 'q', description: 'Only display network IDs' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(NetworkLs);
    const filters = parseFilters(flags.filter, '-f, --filter', this.id!);
    validateFilters(filters, ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
    const rows = networkRows(this.paths, filters).map((r) =>
      flags['no-trunc'] ? r : { ...r, ID: r.ID.slice(0, 12) },
    );
    // docker: -q narrows the table and raw formats only; another format wins over it.
    const format = flags.format ?? '';
    const raw = format === 'raw' ? (flags.quiet ? 'network_id: {{.ID}}' : RAW) : undefined;
    this.out(
      renderList(rows, {
        format: raw ?? format,
        quiet: flags.quiet && (format === '' || format === 'table'),
        defaultFormat: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
        headers,
      }),
    );
  }
}
