import { Args, Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { TsctrError } from '../../errors.ts';
import { makeNetwork } from '../../runtime/networks.ts';

const keyValues = (list: string[]) =>
  Object.fromEntries(
    list.map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)];
    }),
  );

export default class NetworkCreate extends TsctrCommand {
  static override summary = 'Create a network';
  static override examples = [
    '<%= config.bin %> network create appnet',
    '<%= config.bin %> network create --subnet 10.89.50.0/24 --gateway 10.89.50.1 backend',
    '<%= config.bin %> run -d --name web --network appnet nginx',
  ];
  static override usage = '[OPTIONS] NETWORK';
  static override args = { name: Args.string({ required: true, description: 'the network name' }) };
  static override flags = {
    driver: Flags.string({
      char: 'd',
      description: 'Driver to manage the Network (only "bridge")',
    }),
    gateway: Flags.string({ description: 'IPv4 Gateway for the master subnet' }),
    internal: Flags.boolean({ description: 'Restrict external access to the network' }),
    label: Flags.strings({ description: 'Set metadata on a network' }),
    opt: Flags.strings({ char: 'o', description: 'Set driver specific options' }),
    subnet: Flags.string({
      description: 'Subnet in CIDR format that represents a network segment',
    }),
    'ip-range': Flags.string({
      description: 'Allocate container ip from a sub-range (not supported)',
    }),
    ipv6: Flags.boolean({ description: 'Enable IPv6 networking (not supported)' }),
    attachable: Flags.boolean({ description: 'Enable manual container attachment (swarm only)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(NetworkCreate);
    if (flags.driver !== undefined && flags.driver !== 'bridge') {
      throw new TsctrError(`network driver "${flags.driver}" is not supported`, {
        hint: 'tsctr has the bridge driver only',
      });
    }
    for (const [given, name] of [
      [flags['ip-range'] !== undefined, '--ip-range'],
      [flags.ipv6, '--ipv6'],
      [flags.attachable, '--attachable'],
    ] as const) {
      if (given) throw new TsctrError(`${name} is not supported`, { hint: 'leave it out' });
    }
    const net = await makeNetwork(this.paths, {
      name: args.name,
      subnet: flags.subnet,
      gateway: flags.gateway,
      internal: flags.internal,
      labels: keyValues(flags.label),
      options: keyValues(flags.opt),
    });
    this.out(net.Id);
  }
}
