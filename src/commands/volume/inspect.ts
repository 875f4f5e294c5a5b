import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { describeError } from '../../errors.ts';
import { renderObject } from '../../format/index.ts';
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
    format: Flags.string({
      char: 'f',
      description:
        "Format output using a custom template: 'json' or a Go template (default: indented JSON)",
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(VolumeInspect);
    const { values, errors } = inspectVolumes(this.paths, argv);
    this.out(renderObject(values, flags.format));
    for (const e of errors) this.err(describeError(e).text);
    if (errors.length) process.exitCode = 1;
  }
}
