import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { pushPrinter } from '../../cli/push-progress.ts';
import { pushImage } from '../../images/push.ts';

export default class Push extends TsctrCommand {
  static override summary = 'Upload an image to a registry';
  static override aliases = ['push'];
  static override examples = [
    '<%= config.bin %> push 127.0.0.1:5000/busybox:latest',
    '<%= config.bin %> push -a registry.example/team/app',
  ];
  static override completion: Completion[] = ['image'];
  static override usage = '[OPTIONS] NAME[:TAG]';
  static override args = { image: Args.string({ required: true, description: 'image name' }) };
  static override flags = {
    'all-tags': Flags.boolean({
      char: 'a',
      description: 'Push all tags of an image to the repository',
    }),
    authfile: Flags.string({
      description:
        'Path of the authentication file, the only place credentials are used when set (default $XDG_RUNTIME_DIR/containers/auth.json; REGISTRY_AUTH_FILE overrides it)',
    }),
    platform: Flags.string({
      description: 'Push the image only if it is for this platform (os[/arch[/variant]])',
    }),
    quiet: Flags.boolean({ char: 'q', description: 'Suppress verbose output' }),
    'tls-verify': Flags.boolean({
      default: true,
      description: 'Require HTTPS and verify certificates when contacting the registry',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Push);
    const result = await pushImage(args.image, {
      paths: this.paths,
      allTags: flags['all-tags'],
      ...(flags.platform ? { platform: flags.platform } : {}),
      ...(flags.authfile ? { authfile: flags.authfile } : {}),
      ...(flags['tls-verify'] ? {} : { tlsVerify: false }),
      onEvent: pushPrinter((l) => this.out(l), flags.quiet),
    });
    if (flags.quiet) this.out(result.name);
  }
}
