import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { disconnectNetwork } from '../../runtime/network-connect.ts';

export default class NetworkDisconnect extends TsctrCommand {
  static override summary = 'Disconnect a container from a network';
  static override examples = ['<%= config.bin %> network disconnect backend web'];
  static override completion: ArgCompletion[] = ['network', 'container'];
  static override usage = '[OPTIONS] NETWORK CONTAINER';
  static override args = {
    network: Args.string({ required: true, description: 'the user network' }),
    container: Args.string({ required: true, description: 'the container' }),
  };
  static override flags = {
    force: Flags.boolean({
      char: 'f',
      description: 'Force the container to disconnect from a network',
    }),
  };

  async run(): Promise<void> {
    const { args } = this.parse(NetworkDisconnect);
    await disconnectNetwork(this.paths, args.network, args.container);
  }
}
