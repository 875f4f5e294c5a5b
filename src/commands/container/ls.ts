import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { intFlag } from '../../cli/parse.ts';
import { parseFilters, validateFilters } from '../../images/filter-args.ts';
import { imageIdFinder } from '../../images/resolve.ts';
import { containerRows } from '../../runtime/list.ts';
import { humanDuration, humanSize, renderList } from '../../format/index.ts';

const headers = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  State: 'STATE',
  Ports: 'PORTS',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  Size: 'SIZE',
};

export default class Ps extends TsctrCommand {
  static override summary = 'List containers';
  static override aliases = ['container:list', 'container:ps', 'ps'];
  static override examples = [
    '<%= config.bin %> ps',
    "<%= config.bin %> ps -a --format '{{.Names}}\\t{{.Status}}'",
    '<%= config.bin %> container ls -aq',
  ];
  static override flags = {
    all: Flags.boolean({
      char: 'a',
      description: 'Show all containers (default shows just running)',
    }),
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
    }),
    filter: Flags.strings({
      char: 'f',
      description:
        'Filter output based on conditions provided (id, name, status, exited, label, ancestor, before, since, volume, restart-policy)',
      helpValue: 'filter',
    }),
    last: Flags.string({
      char: 'n',
      description: 'Show n last created containers (includes all states) (default -1)',
    }),
    latest: Flags.boolean({
      char: 'l',
      description: 'Show the latest created container (includes all states)',
    }),
    'no-trunc': Flags.boolean({ description: "Don't truncate output" }),
    quiet: Flags.boolean({ char: 'q', description: 'Only display container IDs' }),
    size: Flags.boolean({ char: 's', description: 'Display total file sizes' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(Ps);
    const filters = parseFilters(flags.filter ?? [], '-f, --filter', this.id!);
    validateFilters(filters, [
      'id',
      'name',
      'status',
      'exited',
      'label',
      'ancestor',
      'before',
      'since',
      'volume',
      'network',
      'restart-policy',
    ]);
    const n = flags.last === undefined ? -1 : intFlag(this.id!, '-n, --last', flags.last);
    const rows = containerRows(this.paths, {
      all: flags.all,
      last: flags.latest ? 1 : n >= 0 ? n : undefined,
      filters,
      imageId: imageIdFinder(this.paths),
      noTrunc: flags['no-trunc'],
      human: humanDuration,
      size: flags.size || flags.format?.includes('.Size') ? humanSize : undefined,
    });
    this.out(
      renderList(rows, {
        format: flags.quiet ? '{{.ID}}' : flags.format,
        defaultFormat: `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${flags.size ? '\t{{.Size}}' : ''}`,
        headers,
      }),
    );
  }
}
