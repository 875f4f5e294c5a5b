import { Args, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { inspectFormatFlag, printInspected } from '../../cli/inspect-output.ts';
import { inspectVolumes } from '../../runtime/volumes.ts';

export default class VolumeInspect extends TsctrCommand {
  static override summary = 'Display detailed information on one or more volumes';
  static override examples = [
    '<%= config.bin %> volume inspect data',
    "<%= config.bin %> volume inspect -f '{{.Mountpoint}}' data",
  ];
  static override completion: Completion[] = ['volume'];
  static override usage = '[OPTIONS] VOLUME [VOLUME...]';
  static override strict = false;
  static override args = { volume: Args.string({ required: true, description: 'volume' }) };
  static override flags = {
    format: inspectFormatFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(VolumeInspect);
    const result = inspectVolumes(this.paths, argv);
    printInspected(
      result,
      flags.format,
      (t) => this.out(t),
      (t) => this.err(t),
    );
  }
}
