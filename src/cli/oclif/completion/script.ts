/** `tsctr autocomplete script SHELL`: the line a shell's start-up file sources; fish added. */
import { Args } from '@oclif/core';
import PluginScript from '../../../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js';
import { SHELLS } from './autocomplete.ts';
import { fishFile } from './create.ts';

export default class Script extends PluginScript {
  static override args = {
    shell: Args.string({ description: 'Shell type', options: SHELLS, required: false }),
  };

  override async run(): Promise<void> {
    const { args } = await this.parse(Script);
    if ((args.shell ?? this.config.shell) !== 'fish') return super.run();
    this.log(
      `test -f ${fishFile(this.config)}; and source ${fishFile(this.config)} # tsctr autocomplete setup`,
    );
  }
}
