import { Args, Flags, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { connectNetwork } from '../../runtime/network-connect.ts';

export default class NetworkConnect extends TsctrCommand {
  static override summary = 'Connect a container to a network';
  static override examples = [
    '<%= config.bin %> network connect backend web',
    '<%= config.bin %> network connect --alias db --ip 10.89.0.50 backend postgres',
  ];
  static override completion: ArgCompletion[] = ['network', 'container'];
  static override usage = '[OPTIONS] NETWORK CONTAINER';
  static override args = {
    network: Args.string({ required: true, description: 'the user network' }),
    container: Args.string({ required: true, description: 'the container' }),
  };
  static override flags = {
    alias: Flags.strings({ description: 'Add network-scoped alias for the container' }),
    ip: Flags.string({ description: 'IPv4 address (e.g., 172.30.100.104)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(NetworkConnect);
    await connectNetwork(this.paths, args.network, args.container, {
      aliases: flags.alias,
      ip: flags.ip,
    });
  }
}
