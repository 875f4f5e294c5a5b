import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { describeError } from '../../errors.ts';
import { inspectImages } from '../../images/inspect.ts';
import { renderObject } from '../../format/index.ts';

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
    format: Flags.string({
      char: 'f',
      description:
        "Format output using a custom template: 'json' or a Go template (default: indented JSON)",
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(ImageInspect);
    const { values, errors } = inspectImages(this.paths, argv);
    // docker prints what it found, then one line per name it did not find, and exits 1.
    this.out(renderObject(values, flags.format));
    for (const e of errors) this.err(describeError(e).text);
    if (errors.length) process.exitCode = 1;
  }
}
