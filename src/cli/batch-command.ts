import { TsctrCommand } from './command.ts';
import { Args, type ArgCompletion } from './flags.ts';

/** The shape of docker's container batch verbs (`stop`, `kill`, `rm`): one or more containers. */
export abstract class ContainerBatchCommand extends TsctrCommand {
  static override completion: ArgCompletion[] = ['container'];
  static override usage = '[OPTIONS] CONTAINER [CONTAINER...]';
  static override strict = false;
  static override args = {
    container: Args.string({ required: true, description: 'the containers' }),
  };
}
