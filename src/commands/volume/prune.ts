import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { confirm } from '../../cli/prompt.ts';
import { pruneVolumes } from '../../runtime/volumes.ts';
import { humanSize } from '../../format/index.ts';

const WARNING =
  'WARNING! This will remove anonymous local volumes not used by at least one container.';
const ALL_WARNING =
  'WARNING! This will remove all local volumes not used by at least one container.';

export default class VolumePrune extends TsctrCommand {
  static override summary = 'Remove unused local volumes';
  static override examples = [
    '<%= config.bin %> volume prune -f',
    '<%= config.bin %> volume prune -a -f',
  ];
  static override usage = '[OPTIONS]';
  static override flags = {
    all: Flags.boolean({
      char: 'a',
      description: 'Remove all unused volumes, not just anonymous ones',
    }),
    force: Flags.boolean({ char: 'f', description: 'Do not prompt for confirmation' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(VolumePrune);
    if (
      !flags.force &&
      !confirm(`${flags.all ? ALL_WARNING : WARNING}\nAre you sure you want to continue?`)
    )
      return;
    const { names, reclaimed } = await pruneVolumes(this.paths, flags.all);
    if (names.length) this.out(`Deleted Volumes:\n${names.join('\n')}\n\n`);
    this.out(`Total reclaimed space: ${humanSize(reclaimed, 4)}`);
  }
}
