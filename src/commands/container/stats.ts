import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { redraw, renderStats } from '../../cli/stats-view.ts';
import { isatty } from '../../cli/terminal.ts';
import { watchStats } from '../../runtime/stats/index.ts';

export default class Stats extends TsctrCommand {
  static override summary = 'Display a live stream of container(s) resource usage statistics';
  static override aliases = ['stats'];
  static override usage = '[CONTAINER...]';
  static override examples = [
    '<%= config.bin %> stats',
    '<%= config.bin %> stats --no-stream web db',
    "<%= config.bin %> stats --no-stream --format '{{.Name}}: {{.CPUPerc}} {{.MemUsage}}'",
  ];
  static override completion: ArgCompletion[] = ['container'];
  static override strict = false;
  static override args = {
    container: Args.string({ description: 'containers to watch (default: every running one)' }),
  };
  static override flags = {
    all: Flags.boolean({
      char: 'a',
      description: 'Show all containers (default shows just running)',
    }),
    format: Flags.string({
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
    }),
    'no-stream': Flags.boolean({
      description: 'Disable streaming stats and only pull the first result',
    }),
    'no-trunc': Flags.boolean({ description: 'Do not truncate output' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Stats);
    const stream = !flags['no-stream'];
    // On a terminal the note goes under each frame, which the next frame's redraw erases;
    // elsewhere it is said once.
    const underFrame = stream && isatty(2);
    let noted = false;
    for await (const frame of watchStats(this.paths, {
      containers: argv,
      all: flags.all,
      stream,
    })) {
      if (frame.note && !noted && !underFrame) {
        this.err(frame.note);
        noted = true;
      }
      if (!stream) {
        // docker prints nothing at all, not even the header, when there is nothing to show.
        if (frame.entries.length)
          this.out(renderStats(frame.entries, flags.format, flags['no-trunc']));
        return;
      }
      this.write(redraw(renderStats(frame.entries, flags.format, flags['no-trunc'])));
      if (frame.note && underFrame) this.err(frame.note);
    }
  }
}
