import { Flags } from '../../cli/flags.ts';
import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { intFlag } from '../../cli/parse.ts';
import { restartContainers } from '../../runtime/lifecycle.ts';

export default class Restart extends ContainerBatchCommand {
  static override summary = 'Restart one or more containers';
  static override aliases = ['restart'];
  static override examples = [
    '<%= config.bin %> restart web',
    '<%= config.bin %> restart -t 2 web',
  ];
  static override flags = {
    time: Flags.string({
      char: 't',
      description:
        'Seconds to wait before killing the container, -1 for no limit (default: its --stop-timeout, else 10)',
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Restart);
    const seconds =
      flags.time === undefined ? undefined : intFlag(this.id!, '-t, --time', flags.time);
    this.reportBatch(await restartContainers(this.paths, argv, seconds));
  }
}
