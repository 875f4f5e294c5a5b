import { Args, Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { pullPrinter } from '../../cli/pull-progress.ts';
import { writeOut } from '../../cli/output.ts';
import { pullImage } from '../../images/pull.ts';

export default class Pull extends TsctrCommand {
  static override summary = 'Download an image from a registry';
  static override aliases = ['pull'];
  static override examples = [
    '<%= config.bin %> pull busybox',
    '<%= config.bin %> pull docker.m.daocloud.io/library/nginx:alpine',
    '<%= config.bin %> pull --platform linux/arm64 127.0.0.1:5000/busybox',
  ];
  static override usage = '[OPTIONS] NAME[:TAG|@DIGEST]';
  static override args = { image: Args.string({ required: true, description: 'image reference' }) };
  static override flags = {
    'all-tags': Flags.boolean({
      char: 'a',
      description: 'Download all tagged images in the repository',
    }),
    authfile: Flags.string({ description: 'Path of the authentication file' }),
    platform: Flags.string({ description: 'Set platform if server is multi-platform capable' }),
    quiet: Flags.boolean({ char: 'q', description: 'Suppress verbose output' }),
    'tls-verify': Flags.boolean({
      description: 'Require HTTPS and verify certificates when contacting registries',
      default: true,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(Pull);
    await pullImage(args.image, {
      paths: this.paths,
      allTags: flags['all-tags'],
      tlsVerify: flags['tls-verify'],
      ...(flags.platform ? { platform: flags.platform } : {}),
      ...(flags.authfile ? { authfile: flags.authfile } : {}),
      onEvent: pullPrinter((l) => this.out(l), {
        quiet: flags.quiet,
        tty: process.getBuiltinModule('node:tty').isatty(1),
        raw: writeOut,
      }),
    });
  }
}
