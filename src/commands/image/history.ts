import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { historyRows, imageHistory } from '../../images/history.ts';
import { humanDuration, humanSize, renderList } from '../../format/index.ts';

const headers = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export default class History extends TsctrCommand {
  static override summary = 'Show the history of an image';
  static override aliases = ['history'];
  static override examples = [
    '<%= config.bin %> history busybox',
    "<%= config.bin %> history --no-trunc --format '{{.CreatedBy}}' busybox",
  ];
  static override completion: Completion[] = ['image'];
  static override usage = '[OPTIONS] IMAGE';
  static override args = { image: Args.string({ required: true, description: 'image' }) };
  static override flags = {
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
    }),
    human: Flags.boolean({
      char: 'H',
      default: true,
      description: 'Print sizes and dates in human readable format (default true)',
    }),
    'no-trunc': Flags.boolean({ description: "Don't truncate output" }),
    quiet: Flags.boolean({ char: 'q', description: 'Only show image IDs' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(History);
    const rows = historyRows(imageHistory(this.paths, args.image), {
      noTrunc: flags['no-trunc'],
      human: flags.human,
      duration: humanDuration,
      size: (n) => humanSize(n, 3),
    });
    const table = !flags.format || flags.format === 'table';
    this.out(
      renderList(rows, {
        // As docker: -q only replaces the default table, never a --format the user gave.
        format: table && flags.quiet ? '{{.ID}}' : flags.format,
        defaultFormat: flags.human
          ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
          : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
        headers,
      }),
    );
  }
}
