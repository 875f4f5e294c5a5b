import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { formatInfo, systemInfo } from '../../system/info.ts';
import { renderObject } from '../../format/index.ts';

export default class Info extends TsctrCommand {
  static override summary = 'Display system-wide information';
  static override aliases = ['info'];
  static override examples = [
    '<%= config.bin %> info',
    "<%= config.bin %> info --format '{{json .}}'",
  ];
  static override flags = {
    format: Flags.string({
      char: 'f',
      description: "Format output using a custom template: 'json' or a Go template",
    }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(Info);
    const info = await systemInfo(this.paths);
    this.out(flags.format ? renderObject([info], flags.format) : formatInfo(info));
  }
}
