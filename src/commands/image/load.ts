import { Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { loadImages, type LoadEvent } from '../../images/load.ts';
import { stdin } from '../../cli/stdio.ts';

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
  static override aliases = ['load'];
  static override examples = [
    '<%= config.bin %> load -i busybox.tar',
    'docker save nginx | <%= config.bin %> load',
  ];
  static override usage = '[OPTIONS]';
  static override flags = {
    input: Flags.string({ char: 'i', description: 'Read from tar archive file, instead of STDIN' }),
    // docker's -q hides the progress bars; the "Loaded image" lines are printed either way.
    quiet: Flags.boolean({ char: 'q', description: 'Suppress the load output' }),
  };

  async run(): Promise<void> {
    const { flags } = this.parse(Load);
    await loadImages({
      paths: this.paths,
      ...(flags.input !== undefined ? { input: flags.input } : {}),
      stdin: stdin(),
      onEvent: (e) => this.out(line(e)),
    });
  }
}
