/**
 * The front door: a well-formed command line without `--help` runs its command without loading
 * @oclif/core. It resolves the command from the build's route table, loads only that command,
 * and parses argv with the command's own flag table (src/cli/parse.ts). Everything else — no
 * command, a topic, an unknown command, `--help`, a malformed command line, completion and the
 * commands plugins add — goes to oclif (src/cli/oclif/dispatch.ts), which words the error or
 * renders the help.
 */
import { TsctrError } from '../errors.ts';
import type { CommandClass } from './command.ts';
import { takeGlobal, type GlobalOptions } from './global-options.ts';
import { parseArgv, wantsHelp, type Parsed } from './parse.ts';
import { resolveCommand, type Routes } from './routes.ts';

export interface Door {
  routes: Routes;
  /** The class of a command, its `id` set to the name it was invoked by. */
  load(invoked: string, canonical: string): Promise<CommandClass>;
}

export type Plan =
  | { kind: 'version' }
  | { kind: 'run'; cmd: CommandClass; argv: string[]; parsed: Parsed; global: GlobalOptions }
  | { kind: 'oclif' };

export async function plan(argv: readonly string[], door: Door): Promise<Plan> {
  let global: GlobalOptions;
  try {
    global = takeGlobal(argv);
  } catch (err) {
    if (err instanceof TsctrError) return { kind: 'oclif' };
    throw err;
  }
  if (global.version) return { kind: 'version' };
  if (global.help) return { kind: 'oclif' };
  const route = resolveCommand(global.rest, (id) => id in door.routes);
  if (!route) return { kind: 'oclif' };
  const cmd = await door.load(route.id, door.routes[route.id]!);
  if (wantsHelp(route.rest, cmd)) return { kind: 'oclif' };
  try {
    return {
      kind: 'run',
      cmd,
      argv: route.rest,
      parsed: parseArgv(route.id, route.rest, cmd),
      global,
    };
  } catch (err) {
    if (err instanceof TsctrError) return { kind: 'oclif' };
    throw err;
  }
}
