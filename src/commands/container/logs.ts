import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { intFlag } from '../../cli/parse.ts';
import { writeErr, writeOut } from '../../cli/output.ts';
import { containerLogs } from '../../runtime/logs.ts';

export default class Logs extends TsctrCommand {
  static override summary = 'Fetch the logs of a container';
  static override aliases = ['logs'];
  static override examples = [
    '<%= config.bin %> logs web',
    '<%= config.bin %> logs -f --tail 10 web',
  ];
  static override completion: ArgCompletion[] = ['container'];
  static override usage = '[OPTIONS] CONTAINER';
  static override args = {
    container: Args.string({ required: true, description: 'the container' }),
  };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'Follow log output' }),
    tail: Flags.string({
      char: 'n',
      description: 'Number of lines to show from the end of the logs (default "all")',
    }),
    timestamps: Flags.boolean({ char: 't', description: 'Show timestamps' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Logs);
    const tail =
      (flags.tail ?? 'all') === 'all' ? undefined : intFlag(this.id!, '-n, --tail', flags.tail!);
    await containerLogs(this.paths, args.container, {
      follow: flags.follow,
      tail: tail !== undefined && tail < 0 ? undefined : tail,
      onLine: (l) => {
        const text = `${flags.timestamps ? `${l.time} ` : ''}${l.text}${l.newline ? '\n' : ''}`;
        (l.stream === 'stdout' ? writeOut : writeErr)(text);
      },
    });
  }
}
