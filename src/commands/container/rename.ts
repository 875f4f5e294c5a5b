import { Args, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { renameContainer } from '../../runtime/lifecycle.ts';

export default class Rename extends TsctrCommand {
  static override summary = 'Rename a container';
  static override aliases = ['rename'];
  static override examples = ['<%= config.bin %> rename web frontend'];
  static override completion: ArgCompletion[] = ['container', null];
  static override usage = 'CONTAINER NEW_NAME';
  static override args = {
    container: Args.string({ required: true, description: 'the container' }),
    name: Args.string({ required: true, description: 'its new name' }),
  };

  async run(): Promise<void> {
    const { args } = this.parse(Rename);
    renameContainer(this.paths, args.container, args.name);
  }
}
