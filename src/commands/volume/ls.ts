import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { filterBool, parseFilters, validateFilters } from '../../images/filter-args.ts';
import { renderList } from '../../format/index.ts';
import { volumeRows } from '../../runtime/volumes.ts';

const headers = {
  Driver: 'DRIVER',
  Name: 'VOLUME NAME',
  Mountpoint: 'MOUNTPOINT',
  Scope: 'SCOPE',
  Labels: 'LABELS',
};

export default class VolumeLs extends TsctrCommand {
  static override summary = 'List volumes';
  static override aliases = ['volume:list'];
  static override examples = [
    '<%= config.bin %> volume ls',
    '<%= config.bin %> volume ls -f dangling=true -q',
  ];
  static override usage = '[OPTIONS]';
  static override flags = {
    filter: Flags.strings({
      char: 'f',
      helpValue: 'filter',
      description: "Provide filter values (e.g. 'dangling=true', 'name=data', 'label=k=v')",
    }),
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
    }),
    quiet: Flags.boolean({ char: 'q', description: 'Only display volume names' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(VolumeLs);
    const filters = parseFilters(flags.filter, '-f, --filter', this.id!);
    validateFilters(filters, ['dangling', 'name', 'label', 'driver']);
    const rows = volumeRows(this.paths, {
      dangling: filters.has('dangling') ? filterBool(filters, 'dangling', false) : undefined,
      names: filters.get('name'),
      labels: filters.get('label'),
      drivers: filters.get('driver'),
    });
    this.out(
      renderList(rows, {
        format: flags.quiet ? '{{.Name}}' : flags.format,
        defaultFormat: 'table {{.Driver}}\t{{.Name}}',
        headers,
      }),
    );
  }
}
