import { Args, Flags } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/base.ts';
import { pullPrinter } from '../cli/pull-progress.ts';
import { pullImage } from '../images/pull.ts';

export default class Pull extends TsctrCommand {
  static override summary = 'Download an image from a registry';
  static override usageLine = '[OPTIONS] NAME[:TAG|@DIGEST]';
  static override args = { image: Args.string({ required: true, description: 'image reference' }) };
  static override flags = {
    quiet: Flags.boolean({ char: 'q', description: 'Suppress verbose output' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Pull);
    await pullImage(args.image, {
      paths: this.paths,
      onEvent: pullPrinter((l) => this.out(l), flags.quiet),
    });
  }
}
