import { Args, Flags } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { TsctrError } from '../../errors.ts';
import { makeNetwork } from '../../runtime/networks.ts';

/** docker's --label and --opt: `key=value`, or `key` for an empty value. */
const keyValues = (list: string[]) =>
  Object.fromEntries(
    list.map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)];
    }),
  );

/** --subnet and --gateway are pflag string slices: repeated, or comma-separated. */
const one = (flag: string, values: string[]): string | undefined => {
  const all = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
  if (all.length > 1) {
    throw new TsctrError(`more than one ${flag} is not supported: ${all.join(', ')}`, {
      hint: 'a network here has one IPv4 subnet',
    });
  }
  return all[0];
};

const unsupported = (flag: string, hint: string) =>
  new TsctrError(`${flag} is not supported`, { hint });

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
    attachable: Flags.boolean({
      description: 'Enable manual container attachment (not supported)',
    }),
    'aux-address': Flags.strings({
      description: 'Auxiliary IPv4 or IPv6 addresses used by Network driver (not supported)',
    }),
    'config-from': Flags.string({
      description: 'The network from which to copy the configuration (not supported)',
    }),
    'config-only': Flags.boolean({
      description: 'Create a configuration only network (not supported)',
    }),
    driver: Flags.string({
      char: 'd',
      description: 'Driver to manage the Network (only "bridge", the default)',
    }),
    gateway: Flags.strings({ description: 'IPv4 Gateway for the master subnet' }),
    ingress: Flags.boolean({ description: 'Create swarm routing-mesh network (not supported)' }),
    internal: Flags.boolean({ description: 'Restrict external access to the network' }),
    'ip-range': Flags.strings({
      description: 'Allocate container ip from a sub-range (not supported)',
    }),
    'ipam-driver': Flags.string({ description: 'IP Address Management Driver (only "default")' }),
    'ipam-opt': Flags.strings({ description: 'Set IPAM driver specific options (not supported)' }),
    ipv4: Flags.boolean({
      default: true,
      description: 'Enable or disable IPv4 address assignment (always on)',
    }),
    ipv6: Flags.boolean({
      description: 'Enable or disable IPv6 address assignment (not supported)',
    }),
    label: Flags.strings({ description: 'Set metadata on a network' }),
    opt: Flags.strings({ char: 'o', description: 'Set driver specific options' }),
    scope: Flags.string({ description: 'Control the network\'s scope (only "local")' }),
    subnet: Flags.strings({
      description: 'Subnet in CIDR format that represents a network segment',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = this.parse(NetworkCreate);
    if (flags.driver !== undefined && flags.driver !== 'bridge') {
      throw new TsctrError(`network driver "${flags.driver}" is not supported`, {
        hint: 'tsctr has the bridge driver only',
      });
    }
    if (flags['ipam-driver'] !== undefined && flags['ipam-driver'] !== 'default') {
      throw new TsctrError(`IPAM driver "${flags['ipam-driver']}" is not supported`, {
        hint: 'tsctr has the default IPAM driver only',
      });
    }
    if (flags.scope !== undefined && flags.scope !== 'local') {
      throw unsupported(`--scope ${flags.scope}`, 'networks here are local; leave --scope out');
    }
    if (!flags.ipv4) throw unsupported('--ipv4=false', 'networks here are IPv4 networks');
    for (const [given, flag] of [
      [flags.ipv6, '--ipv6'],
      [flags['ip-range'].length > 0, '--ip-range'],
      [flags['aux-address'].length > 0, '--aux-address'],
      [flags['ipam-opt'].length > 0, '--ipam-opt'],
      [flags.attachable, '--attachable'],
      [flags.ingress, '--ingress'],
      [flags['config-only'], '--config-only'],
      [flags['config-from'] !== undefined, '--config-from'],
    ] as const) {
      if (given) throw unsupported(flag, 'leave it out: tsctr has local IPv4 bridge networks');
    }
    const net = await makeNetwork(this.paths, {
      name: args.name,
      subnet: one('--subnet', flags.subnet),
      gateway: one('--gateway', flags.gateway),
      internal: flags.internal,
      labels: keyValues(flags.label),
      options: keyValues(flags.opt),
    });
    this.out(net.Id);
  }
}
