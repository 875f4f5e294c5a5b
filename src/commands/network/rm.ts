import { Args, Flags, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { removeNetworks } from '../../runtime/networks.ts';

export default class NetworkRm extends TsctrCommand {
  static override summary = 'Remove one or more networks';
  static override aliases = ['network:remove'];
  static override examples = ['<%= config.bin %> network rm appnet'];
  static override completion: Completion[] = ['network'];
  static override usage = '[OPTIONS] NETWORK [NETWORK...]';
  static override strict = false;
  static override args = { network: Args.string({ required: true, description: 'network' }) };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Do not error if the network does not exist' }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(NetworkRm);
    this.reportBatch(await removeNetworks(this.paths, argv, flags.force));
  }
}
