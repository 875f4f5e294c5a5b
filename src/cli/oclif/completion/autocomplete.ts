/**
 * `tsctr autocomplete [SHELL]`: plugin-autocomplete's command, with fish beside bash, zsh and
 * powershell, and the completion files built by tsctr's `autocomplete create` (./create.ts).
 */
import { Args, ux } from '@oclif/core';
import PluginIndex from '../../../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js';
import Create from './create.ts';

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'];

export default class Autocomplete extends PluginIndex {
  static override args = {
    shell: Args.string({ description: 'Shell type', options: SHELLS, required: false }),
  };
  static override summary = 'Set up shell completion (bash, zsh, fish)';
  static override description =
    'Builds the completion files in the cache directory and prints how to load them. Commands ' +
    'and flags complete, and so do the names of containers and images, and the network modes ' +
    'of run --network, where a command takes one. Run it again with --refresh-cache after an ' +
    'upgrade, for new commands and flags.';
  static override examples = [
    '<%= config.bin %> autocomplete bash',
    '<%= config.bin %> autocomplete zsh',
    '<%= config.bin %> autocomplete fish',
    '<%= config.bin %> autocomplete --refresh-cache',
  ];

  override async run(): Promise<void> {
    const { args, flags } = await this.parse(Autocomplete);
    const shell = args.shell ?? this.determineShell(this.config.shell);
    ux.action.start('Building the autocomplete cache');
    await Create.run([], this.config);
    ux.action.stop();
    if (flags['refresh-cache']) return;
    if (shell === 'fish') {
      this.log(
        `\nRun this command to load tsctr's completion in every fish session:\n\n` +
          `  ${this.config.bin} autocomplete script fish >> ~/.config/fish/config.fish\n`,
      );
      return;
    }
    (this as unknown as { printShellInstructions(s: string): void }).printShellInstructions(shell);
  }
}
