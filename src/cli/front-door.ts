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
import { parseArgv, wantsHelp, type CommandShape, type Parsed } from './parse.ts';
import { resolveCommand, type Routes } from './routes.ts';

export interface Door {
  routes: Routes;
  /** The class of a command, its `id` set to the name it was invoked by. */
  load(invoked: string, canonical: string): Promise<CommandClass>;
  /** A command's flag table from oclif's manifest, to spot help without loading the command. */
  shape(canonical: string): CommandShape | undefined;
}

const HELP = new Set(['--help', '-h']);

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
  const canonical = door.routes[route.id]!;
  const end = route.rest.indexOf('--');
  const asks = (end < 0 ? route.rest : route.rest.slice(0, end)).some((a) => HELP.has(a));
  if (
    asks &&
    wantsHelp(route.rest, door.shape(canonical) ?? (await door.load(route.id, canonical)))
  ) {
    return { kind: 'oclif' };
  }
  const cmd = await door.load(route.id, canonical);
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
