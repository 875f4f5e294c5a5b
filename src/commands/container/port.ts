import { Args, type ArgCompletion } from '../../cli/flags.ts';
import { TsctrCommand } from '../../cli/command.ts';
import { containerPorts } from '../../runtime/lifecycle.ts';

export default class Port extends TsctrCommand {
  static override summary = 'List port mappings or a specific mapping for the container';
  static override aliases = ['port'];
  static override examples = ['<%= config.bin %> port web', '<%= config.bin %> port web 80/tcp'];
  static override completion: ArgCompletion[] = ['container', null];
  static override usage = 'CONTAINER [PRIVATE_PORT[/PROTO]]';
  static override args = {
    container: Args.string({ required: true, description: 'the container' }),
    port: Args.string({ required: false, description: 'one container port, PORT[/tcp|udp]' }),
  };

  async run(): Promise<void> {
    const { args } = this.parse(Port);
    for (const line of containerPorts(this.paths, args.container, args.port)) this.out(line);
  }
}
