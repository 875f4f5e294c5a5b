import { TsctrCommand } from './command.ts';
import { Args, Flags, type ArgCompletion } from './flags.ts';
import { intFlag } from './parse.ts';

/** The shape of docker's container batch verbs (`stop`, `kill`, `rm`): one or more containers. */
export abstract class ContainerBatchCommand extends TsctrCommand {
  static override completion: ArgCompletion[] = ['container'];
  static override usage = '[OPTIONS] CONTAINER [CONTAINER...]';
  static override strict = false;
  static override args = {
    container: Args.string({ required: true, description: 'the containers' }),
  };
}

/** `stop -t` and `restart -t`: the seconds to wait before KILL, -1 for no limit. */
export const stopTimeFlag = Flags.string({
  char: 't',
  description:
    'Seconds to wait before killing the container, -1 for no limit (default: its --stop-timeout, else 10)',
});

/** The -t value, or undefined for the container's own --stop-timeout (else 10). */
export function stopSeconds(commandId: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : intFlag(commandId, '-t, --time', value);
}
