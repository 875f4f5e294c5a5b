import { Args, Flags, type ArgCompletion } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/command.ts';
import { describeError, TsctrError } from '../errors.ts';
import { inspectObjects } from '../system/inspect-objects.ts';
import { renderObject } from '../format/index.ts';

export default class Inspect extends TsctrCommand {
  static override summary = 'Return low-level information on containers and images';
  static override examples = [
    '<%= config.bin %> inspect busybox',
    "<%= config.bin %> inspect -f '{{.State.Status}}' mycontainer",
  ];
  // Each NAME|ID is looked up as a container, then as an image.
  static override completion: ArgCompletion[] = [['container', 'image']];
  static override usage = '[OPTIONS] NAME|ID [NAME|ID...]';
  static override strict = false;
  static override args = { name: Args.string({ required: true, description: 'object' }) };
  static override flags = {
    format: Flags.string({
      char: 'f',
      description:
        "Format output using a custom template: 'json' or a Go template (default: indented JSON)",
    }),
    size: Flags.boolean({
      char: 's',
      description: 'Display total file sizes if the type is container',
    }),
    type: Flags.string({ description: 'Only inspect objects of the given type' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Inspect);
    if (flags.size) {
      throw new TsctrError('--size is not supported yet', {
        hint: "inspect without it; 'tsctr images' shows image sizes",
      });
    }
    const { values, errors } = inspectObjects(this.paths, argv, flags.type);
    this.out(renderObject(values, flags.format));
    for (const e of errors) this.err(describeError(e).text);
    if (errors.length) process.exitCode = 1;
  }
}
