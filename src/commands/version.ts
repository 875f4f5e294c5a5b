import { Flags } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/command.ts';
import { versionInfo } from '../host/version.ts';
import { renderObject } from '../format/index.ts';

export default class Version extends TsctrCommand {
  static override summary = 'Show the tsctr version information';
  static override examples = [
    '<%= config.bin %> version',
    "<%= config.bin %> version --format '{{.Client.Version}}'",
  ];
  static override flags = {
    format: Flags.string({ char: 'f', description: 'Format output using a custom template' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(Version);
    const v = versionInfo();
    if (flags.format) {
      this.out(renderObject([v], flags.format));
      return;
    }
    this.out(
      [
        'Client:',
        ` Version:           ${v.Client.Version}`,
        ` Node.js version:   ${v.Client.NodeVersion}`,
        ` Native addon:      ${v.Client.Native}`,
        ` OS/Arch:           ${v.Client.Os}/${v.Client.Arch}`,
        ` Daemon:            none (every command is its own process)`,
      ].join('\n'),
    );
  }
}
