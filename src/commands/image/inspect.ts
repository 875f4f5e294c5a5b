import { Args, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { inspectFormatFlag, printInspected } from '../../cli/inspect-output.ts';
import { inspectImages } from '../../images/inspect.ts';

export default class ImageInspect extends TsctrCommand {
  static override summary = 'Display detailed information on one or more images';
  static override examples = [
    '<%= config.bin %> image inspect busybox',
    "<%= config.bin %> image inspect -f '{{.Config.Cmd}}' busybox",
  ];
  static override completion: Completion[] = ['image'];
  static override usage = '[OPTIONS] IMAGE [IMAGE...]';
  static override strict = false;
  static override args = { image: Args.string({ required: true, description: 'image' }) };
  static override flags = {
    format: inspectFormatFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(ImageInspect);
    const result = inspectImages(this.paths, argv);
    printInspected(
      result,
      flags.format,
      (t) => this.out(t),
      (t) => this.err(t),
    );
  }
}
