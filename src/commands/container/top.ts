import { Args, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { topContainer } from '../../runtime/lifecycle.ts';

export default class Top extends TsctrCommand {
  static override summary = 'Display the running processes of a container';
  static override aliases = ['top'];
  static override examples = ['<%= config.bin %> top web', '<%= config.bin %> top web -o pid,comm'];
  static override completion: ArgCompletion[] = ['container', null];
  static override usage = 'CONTAINER [ps OPTIONS]';
  static override interspersed = false;
  static override strict = false;
  static override args = {
    container: Args.string({ required: true, description: 'the running container' }),
  };

  async run(): Promise<void> {
    const { args, argv } = this.parse(Top);
    this.out(await topContainer(this.paths, args.container, argv.slice(1)));
  }
}
