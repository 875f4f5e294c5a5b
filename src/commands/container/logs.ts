import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { intFlag } from '../../cli/parse.ts';
import { writeErr, writeOut } from '../../cli/output.ts';
import { TsctrError } from '../../errors.ts';
import { parseTimestamp } from '../../images/timestamp.ts';
import { containerLogs } from '../../runtime/logs.ts';

/** docker's words for a --since/--until it cannot read. */
function time(flag: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return parseTimestamp(value);
  } catch (err) {
    if (!(err instanceof TsctrError)) throw err;
    throw new TsctrError(`invalid value for "${flag}": ${err.message}`, { hint: err.hint });
  }
}

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
    since: Flags.string({
      description:
        'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    }),
    timestamps: Flags.boolean({ char: 't', description: 'Show timestamps' }),
    until: Flags.string({
      description:
        'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Logs);
    const tail =
      (flags.tail ?? 'all') === 'all' ? undefined : intFlag(this.id!, '-n, --tail', flags.tail!);
    await containerLogs(this.paths, args.container, {
      follow: flags.follow,
      tail: tail !== undefined && tail < 0 ? undefined : tail,
      since: time('since', flags.since),
      until: time('until', flags.until),
      onLine: (l) => {
        const text = `${flags.timestamps ? `${l.time} ` : ''}${l.text}${l.newline ? '\n' : ''}`;
        (l.stream === 'stdout' ? writeOut : writeErr)(text);
      },
    });
  }
}
