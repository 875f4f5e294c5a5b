import { Flags } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/base.ts';
import { imageRows } from '../images/list.ts';
import { humanDuration, humanSize, renderList } from '../format/index.ts';

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
  static override usageLine = '[OPTIONS] [REPOSITORY[:TAG]]';
  static override flags = {
    digests: Flags.boolean({ description: 'Show digests' }),
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
    }),
    'no-trunc': Flags.boolean({ description: "Don't truncate output" }),
    quiet: Flags.boolean({ char: 'q', description: 'Only show image IDs' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(Images);
    const rows = imageRows(this.paths, {
      noTrunc: flags['no-trunc'],
      human: humanDuration,
      size: humanSize,
    });
    const def = flags.digests
      ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    const quietRows = flags.quiet ? [...new Map(rows.map((r) => [r.ID, r])).values()] : rows;
    this.out(
      renderList(quietRows, {
        format: flags.quiet ? '{{.ID}}' : flags.format,
        defaultFormat: def,
        headers,
      }),
    );
  }
}
