import { Args, Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { TsctrError } from '../../errors.ts';
import { createVolume } from '../../runtime/volumes.ts';

export default class VolumeCreate extends TsctrCommand {
  static override summary = 'Create a volume';
  static override examples = [
    '<%= config.bin %> volume create data',
    '<%= config.bin %> run -v data:/data busybox ls /data',
  ];
  static override usage = '[OPTIONS] [VOLUME]';
  static override args = { name: Args.string({ description: 'the volume name (random if none)' }) };
  static override flags = {
    driver: Flags.string({ char: 'd', description: 'Specify volume driver name (only "local")' }),
    label: Flags.strings({ description: 'Set metadata for a volume' }),
    opt: Flags.strings({ char: 'o', description: 'Set driver specific options (none supported)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(VolumeCreate);
    if (flags.driver !== undefined && flags.driver !== 'local') {
      throw new TsctrError(`volume driver "${flags.driver}" is not supported`, {
        hint: 'tsctr has the local driver only',
      });
    }
    if (flags.opt.length) {
      throw new TsctrError(`--opt is not supported: ${flags.opt.join(', ')}`, {
        hint: 'a local volume here is a plain directory; mount a tmpfs with --tmpfs instead',
      });
    }
    const labels = Object.fromEntries(
      flags.label.map((l) => {
        const i = l.indexOf('=');
        return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)];
      }),
    );
    this.out(createVolume(this.paths, args.name, labels));
  }
}
