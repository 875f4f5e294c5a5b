import { Args, type Completion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { inspectFormatFlag, printInspected } from '../../cli/inspect-output.ts';
import { inspectNetworks } from '../../runtime/networks.ts';

export default class NetworkInspect extends TsctrCommand {
  static override summary = 'Display detailed information on one or more networks';
  static override examples = [
    '<%= config.bin %> network inspect appnet',
    "<%= config.bin %> network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' appnet",
  ];
  static override completion: Completion[] = ['network'];
  static override usage = '[OPTIONS] NETWORK [NETWORK...]';
  static override strict = false;
  static override args = { network: Args.string({ required: true, description: 'network' }) };
  static override flags = { format: inspectFormatFlag };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(NetworkInspect);
    printInspected(
      inspectNetworks(this.paths, argv),
      flags.format,
      (t) => this.out(t),
      (t) => this.err(t),
    );
  }
}
