import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { imageRows } from '../../images/list.ts';
import { addFilter, parseFilters } from '../../images/filters.ts';
import { humanDuration, humanSize, renderList } from '../../format/index.ts';

const headers = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  ID: 'IMAGE ID',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'SIZE',
};

export default class Images extends TsctrCommand {
  static override summary = 'List images';
  static override aliases = ['image:list', 'images'];
  static override examples = [
    '<%= config.bin %> images',
    "<%= config.bin %> images --format '{{.Repository}}:{{.Tag}} {{.Size}}'",
    '<%= config.bin %> image ls -f dangling=true -q',
  ];
  static override completion: Completion[] = ['image'];
  static override usage = '[OPTIONS] [REPOSITORY[:TAG]]';
  static override args = {
    reference: Args.string({ description: 'only images whose name matches REPOSITORY[:TAG]' }),
  };
  static override flags = {
    // Every image is a top-level one here (no intermediate build images exist), so -a shows
    // what the default shows.
    all: Flags.boolean({
      char: 'a',
      description: 'Show all images (default hides intermediate images)',
    }),
    digests: Flags.boolean({ description: 'Show digests' }),
    filter: Flags.strings({
      char: 'f',
      helpValue: 'filter',
      description: 'Filter output based on conditions provided',
    }),
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
    }),
    'no-trunc': Flags.boolean({ description: "Don't truncate output" }),
    quiet: Flags.boolean({ char: 'q', description: 'Only show image IDs' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Images);
    const filters = parseFilters(flags.filter, '-f, --filter', this.id);
    // docker's CLI turns the positional REPOSITORY[:TAG] into a reference filter.
    if (args.reference) addFilter(filters, 'reference', args.reference);
    let format = flags.format;
    // As docker: --digests adds the column to a table format that lacks it.
    if (flags.digests && format?.startsWith('table ') && !format.includes('{{.Digest}}'))
      format += '\t{{.Digest}}';
    const rows = imageRows(this.paths, {
      noTrunc: flags['no-trunc'],
      human: humanDuration,
      size: humanSize,
      filters,
      digests: flags.digests,
      needDigest: flags.digests || !!format?.includes('{{.Digest}}'),
    });
    const def = flags.digests
      ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    const quietRows = flags.quiet ? [...new Map(rows.map((r) => [r.ID, r])).values()] : rows;
    this.out(
      renderList(quietRows, {
        format: flags.quiet ? '{{.ID}}' : format,
        defaultFormat: def,
        headers,
      }),
    );
  }
}
