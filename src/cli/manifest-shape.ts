/**
 * A command's flag table as oclif's manifest (dist/oclif.manifest.json) records it: enough to
 * tell a help request from a command line (src/cli/parse.ts wantsHelp) without loading the
 * command's bundle. The build writes the manifest from the same classes the commands are.
 */
import { readFileSync } from 'node:fs';
import type { ArgDefs, FlagDefs } from './flags.ts';
import type { CommandShape } from './parse.ts';

interface Cached {
  flags: Record<string, unknown>;
  args: Record<string, unknown>;
  strict?: boolean;
  interspersed?: boolean;
}

export function shapeOf(c: Cached): CommandShape {
  return {
    flags: c.flags as FlagDefs,
    args: c.args as ArgDefs,
    strict: c.strict !== false,
    interspersed: c.interspersed !== false,
  };
}

/** The shapes of every command in the manifest under `dir`, read once, by canonical id. */
export function manifestShapes(dir: string): (id: string) => CommandShape | undefined {
  let commands: Record<string, Cached> | undefined;
  return (id) => {
    commands ??= (
      JSON.parse(readFileSync(`${dir}/oclif.manifest.json`, 'utf8')) as {
        commands: Record<string, Cached>;
      }
    ).commands;
    const c = commands[id];
    return c && shapeOf(c);
  };
}
