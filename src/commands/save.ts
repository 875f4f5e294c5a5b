import { Args, Flags } from '../cli/flags.ts';
import { TsctrCommand } from '../cli/base.ts';
import { saveImages } from '../images/save.ts';

export default class Save extends TsctrCommand {
  static override summary =
    'Save one or more images to a tar archive (streamed to STDOUT by default)';
  static override usageLine = '[OPTIONS] IMAGE [IMAGE...]';
  static override variadic = true;
  static override args = { image: Args.string({ required: true, description: 'image to save' }) };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write to a file, instead of STDOUT' }),
    // podman's flag; without it the archive is docker's, which docker and podman both load.
    format: Flags.string({
      description:
        'Save image to docker-archive or oci-archive (default: the archive docker 25 writes, an OCI layout with manifest.json)',
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Save);
    await saveImages({
      paths: this.paths,
      names: argv,
      ...(flags.format !== undefined ? { format: flags.format } : {}),
      ...(flags.output !== undefined ? { output: flags.output } : {}),
    });
  }
}
