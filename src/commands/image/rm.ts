import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { describeError } from '../../errors.ts';
import { removeImages } from '../../images/remove.ts';

export default class Rmi extends TsctrCommand {
  static override summary = 'Remove one or more images';
  static override aliases = ['image:remove', 'rmi'];
  static override examples = [
    '<%= config.bin %> rmi busybox',
    '<%= config.bin %> image rm -f $(<%= config.bin %> images -q -f dangling=true)',
  ];
  static override completion: Completion[] = ['image'];
  static override usage = '[OPTIONS] IMAGE [IMAGE...]';
  static override strict = false;
  static override args = { image: Args.string({ required: true, description: 'image to remove' }) };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Force removal of the image' }),
    // Pulled images have no parent images, so there is never an untagged parent to keep.
    'no-prune': Flags.boolean({ description: 'Do not delete untagged parents' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Rmi);
    const outcomes = await removeImages(this.paths, argv, { force: flags.force });
    const lines = outcomes.flatMap((o) =>
      o.items.map((i) => (i.deleted ? `Deleted: ${i.deleted}` : `Untagged: ${i.untagged}`)),
    );
    this.out(lines.join('\n'));
    // docker reports every failure after the work is done, and exits 1; with -f, images that
    // do not exist are reported but are no failure.
    const failed = outcomes.filter((o) => o.error);
    for (const o of failed) this.err(describeError(o.error!).text);
    if (failed.length && (!flags.force || failed.some((o) => !o.notFound))) process.exitCode = 1;
  }
}
