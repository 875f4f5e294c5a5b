import { Args } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/base.ts';
import { tagImage } from '../images/tag.ts';

export default class Tag extends TsctrCommand {
  static override summary = 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE';
  static override usageLine = 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]';
  // docker's tag takes no options after the first name (SetInterspersed(false)).
  static override stopAtFirstArg = true;
  static override args = {
    source: Args.string({ required: true, description: 'image to tag' }),
    target: Args.string({ required: true, description: 'new name' }),
  };

  async run(): Promise<void> {
    const { args } = this.parse(Tag);
    await tagImage(this.paths, args.source, args.target);
  }
}
