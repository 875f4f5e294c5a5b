import { currentApp } from '../binary/app.ts';
import { TsctrCommand } from '../cli/command.ts';
import { completionSite, type CompletionTable } from '../cli/complete.ts';
import { statePaths } from '../config/paths.ts';
import { objectNames } from '../system/object-names.ts';

// Every command's flags and positional arguments, baked in by scripts/build.mjs.
declare const __TSCTR_COMPLETION__: CompletionTable;

export default class Complete extends TsctrCommand {
  static override summary = 'Print the names that complete a command line (for shell completion)';
  static override description =
    'WORDs are the words after tsctr up to the one under the cursor. Prints the container, ' +
    'image, network or volume names that can go there, one a line, and exits 0; exits 1 when ' +
    'no name goes there, and the shell completes commands, flags or files instead.';
  static override usage = '-- WORD...';
  static override hidden = true;
  // Every word is a WORD, flags included; `--` first keeps the ones before a command from
  // being read as tsctr's global options.
  static override strict = false;
  static override interspersed = false;

  async run(): Promise<void> {
    const { argv } = this.parse(Complete);
    const site = completionSite(argv, currentApp()?.routes ?? {}, __TSCTR_COMPLETION__);
    if (!site) {
      process.exitCode = 1;
      return;
    }
    const paths = statePaths({ root: site.root, runroot: site.runroot });
    this.out(
      objectNames(paths, site.kinds, site.prefix)
        .map((n) => site.lead + n)
        .join('\n'),
    );
  }
}
