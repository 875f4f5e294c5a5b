import { Args, Flags, type ArgCompletion } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/command.ts';
import { inspectFormatFlag, printInspected } from '../cli/inspect-output.ts';
import { TsctrError } from '../errors.ts';
import { inspectObjects } from '../system/inspect-objects.ts';

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
    format: inspectFormatFlag,
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
    const result = inspectObjects(this.paths, argv, flags.type);
    printInspected(
      result,
      flags.format,
      (t) => this.out(t),
      (t) => this.err(t),
    );
  }
}
