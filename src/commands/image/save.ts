import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { saveImages } from '../../images/save.ts';
import { stdout } from '../../cli/stdio.ts';

export default class Save extends TsctrCommand {
  static override summary =
    'Save one or more images to a tar archive (streamed to STDOUT by default)';
  static override aliases = ['save'];
  static override examples = [
    '<%= config.bin %> save -o busybox.tar busybox',
    '<%= config.bin %> save busybox | gzip > busybox.tar.gz',
  ];
  static override completion: Completion[] = ['image'];
  static override usage = '[OPTIONS] IMAGE [IMAGE...]';
  static override strict = false;
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
      stdout: stdout(),
    });
  }
}
