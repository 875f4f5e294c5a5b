import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { removeVolumes } from '../../runtime/volumes.ts';

export default class VolumeRm extends TsctrCommand {
  static override summary = 'Remove one or more volumes';
  static override aliases = ['volume:remove'];
  static override examples = ['<%= config.bin %> volume rm data'];
  static override completion: Completion[] = ['volume'];
  static override usage = '[OPTIONS] VOLUME [VOLUME...]';
  static override strict = false;
  static override args = { volume: Args.string({ required: true, description: 'volume' }) };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Do not fail when a volume does not exist' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(VolumeRm);
    this.reportBatch(await removeVolumes(this.paths, argv, flags.force));
  }
}
