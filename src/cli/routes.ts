/**
 * Which command a command line names. Ids are oclif's (`image:ls`, `ps`); the route table maps
 * every id and alias to the canonical id, the one that names the command's file under
 * src/commands/. The build derives the table from the commands' own `aliases`; oclif derives
 * its own from the same fields, and test/unit/cli-parity.test.ts holds the two to each other.
 */
import type { CommandClass } from './command.ts';

export type Routes = Record<string, string>;

/**
 * docker's rule: a management command and its verb (`image ls`), else one word (`images`).
 * Nothing after the command name can be part of it, so `run busybox` is `run`.
 */
export function resolveCommand(
  argv: readonly string[],
  has: (id: string) => boolean,
): { id: string; rest: string[] } | undefined {
  const [first, second] = argv;
  if (first === undefined || first.startsWith('-')) return undefined;
  if (second !== undefined && !second.startsWith('-') && has(`${first}:${second}`)) {
    return { id: `${first}:${second}`, rest: argv.slice(2) };
  }
  return has(first) ? { id: first, rest: argv.slice(1) } : undefined;
}

/** The route table of a set of commands, keyed by canonical id. */
export function routesOf(commands: Record<string, Pick<CommandClass, 'aliases'>>): Routes {
  const routes: Routes = {};
  for (const [id, cmd] of Object.entries(commands)) {
    for (const name of [id, ...cmd.aliases]) {
      if (routes[name] !== undefined) {
        throw new Error(`${name} names both ${routes[name]} and ${id}`);
      }
      routes[name] = id;
    }
  }
  return routes;
}

/** The file of a command under src/commands/ or dist/commands/, from its canonical id. */
export const commandFile = (id: string) => id.replaceAll(':', '/');
