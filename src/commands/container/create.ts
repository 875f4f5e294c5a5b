import { Args, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { createFlags, createOptions } from '../../cli/create-flags.ts';
import { createContainer } from '../../runtime/create.ts';

export default class Create extends TsctrCommand {
  static override summary = 'Create a new container';
  static override aliases = ['create'];
  static override examples = [
    '<%= config.bin %> create --name web busybox httpd -f',
    '<%= config.bin %> start web',
  ];
  static override completion: ArgCompletion[] = ['image', null];
  static override usage = '[OPTIONS] IMAGE [COMMAND] [ARG...]';
  static override interspersed = false;
  static override strict = false;
  static override args = { image: Args.string({ required: true, description: 'the image' }) };
  static override flags = createFlags;

  async run(): Promise<void> {
    const { args, flags, argv } = this.parse(Create);
    const c = await createContainer(
      createOptions({
        paths: this.paths,
        image: args.image,
        command: argv.slice(1),
        flags,
        err: (l) => this.err(l),
      }),
    );
    this.out(c.id);
  }
}
