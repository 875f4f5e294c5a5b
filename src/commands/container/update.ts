import { ContainerBatchCommand } from '../../cli/batch-command.ts';
import { Flags } from '../../cli/flags.ts';
import { updateContainers } from '../../runtime/update.ts';

export default class Update extends ContainerBatchCommand {
  static override summary = 'Update configuration of one or more containers';
  static override aliases = ['update'];
  static override examples = [
    '<%= config.bin %> update --memory 256m --memory-swap 512m web',
    '<%= config.bin %> update --cpus 1.5 --pids-limit 200 web db',
  ];
  static override flags = {
    memory: Flags.string({ char: 'm', description: 'Memory limit' }),
    'memory-reservation': Flags.string({ description: 'Memory soft limit' }),
    'memory-swap': Flags.string({
      description: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap',
    }),
    cpus: Flags.string({ description: 'Number of CPUs' }),
    'cpu-shares': Flags.string({ char: 'c', description: 'CPU shares (relative weight)' }),
    'cpu-period': Flags.string({
      description: 'Limit CPU CFS (Completely Fair Scheduler) period',
    }),
    'cpu-quota': Flags.string({ description: 'Limit CPU CFS (Completely Fair Scheduler) quota' }),
    'cpuset-cpus': Flags.string({ description: 'CPUs in which to allow execution (0-3, 0,1)' }),
    'cpuset-mems': Flags.string({ description: 'MEMs in which to allow execution (0-3, 0,1)' }),
    'pids-limit': Flags.string({
      description: 'Tune container pids limit (set -1 for unlimited)',
    }),
    'blkio-weight': Flags.string({
      description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)',
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = this.parse(Update);
    this.reportBatch(
      await updateContainers(this.paths, argv, {
        memory: flags.memory,
        memoryReservation: flags['memory-reservation'],
        memorySwap: flags['memory-swap'],
        cpus: flags.cpus,
        cpuShares: flags['cpu-shares'],
        cpuPeriod: flags['cpu-period'],
        cpuQuota: flags['cpu-quota'],
        cpusetCpus: flags['cpuset-cpus'],
        cpusetMems: flags['cpuset-mems'],
        pidsLimit: flags['pids-limit'],
        blkioWeight: flags['blkio-weight'],
      }),
    );
  }
}
