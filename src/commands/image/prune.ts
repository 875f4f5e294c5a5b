import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { confirm } from '../../cli/prompt.ts';
import { parseFilters } from '../../images/filters.ts';
import { pruneImages } from '../../images/prune.ts';
import { humanSize } from '../../format/index.ts';

const DANGLING_WARNING = 'WARNING! This will remove all dangling images.';
const ALL_WARNING =
  'WARNING! This will remove all images without at least one container associated to them.';

export default class ImagePrune extends TsctrCommand {
  static override summary = 'Remove unused images';
  static override examples = [
    '<%= config.bin %> image prune -f',
    '<%= config.bin %> image prune -a --filter until=24h',
  ];
  static override usage = '[OPTIONS]';
  static override flags = {
    all: Flags.boolean({
      char: 'a',
      description: 'Remove all unused images, not just dangling ones',
    }),
    filter: Flags.strings({
      helpValue: 'filter',
      description: 'Provide filter values (e.g. "until=<timestamp>")',
    }),
    force: Flags.boolean({ char: 'f', description: 'Do not prompt for confirmation' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(ImagePrune);
    const filters = parseFilters(flags.filter, '--filter', this.id);
    const warning = flags.all ? ALL_WARNING : DANGLING_WARNING;
    // Declining is no error for docker: it stops and exits 0.
    if (!flags.force && !confirm(`${warning}\nAre you sure you want to continue?`)) return;
    const { items, reclaimed } = await pruneImages(this.paths, { all: flags.all, filters });
    if (items.length) {
      const lines = items.map((i) =>
        i.untagged ? `untagged: ${i.untagged}` : `deleted: ${i.deleted}`,
      );
      // docker prints the list with its own trailing newline, then an empty line.
      this.out(`Deleted Images:\n${lines.join('\n')}\n\n`);
    }
    this.out(`Total reclaimed space: ${humanSize(reclaimed, 4)}`);
  }
}
