import { Flags } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/base.ts';
import { TsctrError } from '../errors.ts';
import { loadImages, type LoadEvent } from '../images/load.ts';

function line(e: LoadEvent): string {
  switch (e.kind) {
    case 'renamed':
      return `The image ${e.name} already exists, renaming the old one with ID ${e.oldId} to empty string`;
    case 'loaded':
      return `Loaded image: ${e.name}`;
    case 'loaded-id':
      return `Loaded image ID: ${e.id}`;
  }
}

export default class Load extends TsctrCommand {
  static override summary = 'Load an image from a tar archive or STDIN';
  static override usageLine = '[OPTIONS]';
  // Checked below, for docker's wording ("accepts no arguments").
  static override variadic = true;
  static override flags = {
    input: Flags.string({ char: 'i', description: 'Read from tar archive file, instead of STDIN' }),
    // docker's -q hides the progress bars; the "Loaded image" lines are printed either way.
    quiet: Flags.boolean({ char: 'q', description: 'Suppress the load output' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Load);
    if (argv.length) {
      throw new TsctrError(`"tsctr load" accepts no arguments.`, {
        hint: "See 'tsctr load --help'.",
      });
    }
    await loadImages({
      paths: this.paths,
      ...(flags.input !== undefined ? { input: flags.input } : {}),
      onEvent: (e) => this.out(line(e)),
    });
  }
}
