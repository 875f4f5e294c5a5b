import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { containerRows } from '../../runtime/list.ts';
import { humanDuration, renderList } from '../../format/index.ts';

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
    'no-trunc': Flags.boolean({ description: "Don't truncate output" }),
    quiet: Flags.boolean({ char: 'q', description: 'Only display container IDs' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(Ps);
    const rows = containerRows(this.paths, {
      all: flags.all,
      noTrunc: flags['no-trunc'],
      human: humanDuration,
    });
    this.out(
      renderList(rows, {
        format: flags.quiet ? '{{.ID}}' : flags.format,
        defaultFormat:
          'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}',
        headers,
      }),
    );
  }
}
