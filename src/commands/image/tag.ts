import { Args, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { tagImage } from '../../images/tag.ts';

export default class Tag extends TsctrCommand {
  static override summary = 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE';
  static override aliases = ['tag'];
  static override examples = ['<%= config.bin %> tag busybox 127.0.0.1:5000/busybox:1.36'];
  static override completion: Completion[] = ['image', 'image'];
  static override usage = 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]';
  // docker's tag takes no options after the first name (SetInterspersed(false)).
  static override interspersed = false;
  static override args = {
    source: Args.string({ required: true, description: 'image to tag' }),
    target: Args.string({ required: true, description: 'new name' }),
  };

  async run(): Promise<void> {
    const { args } = this.parse(Tag);
    await tagImage(this.paths, args.source, args.target);
  }
}
