/**
 * oclif's side of tsctr (dist/oclif.cjs): the command lines the front door hands over. Help for
 * the root, a topic or a command is rendered by oclif's Help (./help.ts); tsctr's commands run
 * through oclif's Config.runCommand, which calls the command's static run (src/cli/command.ts)
 * and so parses argv with docker's rules; completion (./completion/) and any other command that
 * extends oclif's own Command class run as oclif runs them, their errors reworded as tsctr's.
 */
import type { Command, Config } from '@oclif/core';
import { currentApp } from '../../binary/app.ts';
import { TsctrError } from '../../errors.ts';
import type { CommandClass } from '../command.ts';
import type { Door } from '../front-door.ts';
import { applyGlobal, takeGlobal } from '../global-options.ts';
import { shapeOf } from '../manifest-shape.ts';
import { spoken, wantsHelp } from '../parse.ts';
import { resolveCommand } from '../routes.ts';
import { TsctrHelp } from './help.ts';
import { loadConfig } from './plugin.ts';

/** Loads a command class for oclif: tsctr's own through the door, plugin ones from here. */
export function classLoader(door: Door) {
  return async (id: string): Promise<Command.Class | undefined> => {
    if (door.routes[id] === id) return (await door.load(id, id)) as unknown as Command.Class;
    // Completion's commands extend oclif's Command class, whose module loads all of oclif.
    const { pluginCommands } = await import('./completion/index.ts');
    return pluginCommands[id];
  };
}

const isTsctrCommand = (c: unknown): c is CommandClass =>
  typeof (c as CommandClass).runParsed === 'function';

export async function dispatch(argv: readonly string[], door: Door): Promise<void> {
  // `--version` never comes here: the front door answers it before anything can fail.
  const global = takeGlobal(argv);
  const app = currentApp();
  if (!app) throw new Error('no tsctr app directory for oclif');
  const config = await loadConfig(app.ensure(), classLoader(door));
  // Built only for a help page: it measures the terminal, which creates process.stdout.
  const help = { showHelp: (argv: string[]) => new TsctrHelp(config).showHelp(argv) };
  let words = global.rest;
  if (words[0] === 'help') {
    // cobra's `docker help COMMAND`.
    words = words.slice(1);
    if (words.length === 0 || resolveCommand(words, (id) => !!config.findCommand(id))) {
      return help.showHelp(words);
    }
  }
  if (global.help || words.length === 0) return help.showHelp([]);
  const route = resolveCommand(words, (id) => config.findCommand(id) !== undefined);
  if (!route) {
    // `tsctr image` (or `image --help`) shows the topic's commands, as `docker image` does.
    if (config.findTopic(words[0]!) && (words.length === 1 || words[1]!.startsWith('-'))) {
      return help.showHelp([words[0]!]);
    }
    throw await notFound(words, config);
  }
  const cached = config.findCommand(route.id)!;
  // Decided from the manifest, without loading the command's bundle.
  if (wantsHelp(route.rest, shapeOf(cached))) return help.showHelp(route.id.split(':'));
  const cmd = await cached.load();
  if (isTsctrCommand(cmd)) {
    // Messages name the command as it was typed: `tsctr ps`, not `tsctr container ls`.
    cmd.id = route.id;
    applyGlobal(global);
    await config.runCommand(route.id, route.rest, { ...cached, load: async () => cmd });
    return;
  }
  applyGlobal(global);
  try {
    await config.runCommand(route.id, route.rest, cached);
  } catch (err) {
    throw asTsctrError(err);
  }
}

/** docker's words for a command that does not exist, with the nearest one that does. */
async function notFound(words: readonly string[], config: Config): Promise<TsctrError> {
  // Loaded here: building its collator costs ~5 ms.
  const { default: levenshtein } = await import('fast-levenshtein');
  const topic = config.findTopic(words[0]!) !== undefined;
  const typed = topic && words[1] !== undefined ? `${words[0]} ${words[1]}` : words[0]!;
  const names = config.commands
    .filter((c) => !c.hidden)
    .flatMap((c) => [c.id, ...c.aliases])
    .filter((id) => !topic || id.startsWith(`${words[0]}:`))
    .map(spoken);
  const best = names
    .map((name) => ({ name, d: levenshtein.get(typed, name) }))
    .sort((a, b) => a.d - b.d)[0];
  // cobra suggests within a distance of 2; a longer name may be off by a little more.
  const near = best && best.d <= Math.max(2, Math.floor(typed.length / 3));
  return new TsctrError(`unknown command: tsctr ${typed}`, {
    exitCode: 1,
    hint: `${near ? `Did you mean 'tsctr ${best.name}'? ` : ''}Run 'tsctr${topic ? ` ${words[0]}` : ''} --help' for more information.`,
  });
}

/** An error of oclif's (a plugin command's flag error, say) in tsctr's form. */
function asTsctrError(err: unknown): unknown {
  if (err instanceof TsctrError) return err;
  const e = err as Error & { oclif?: { exit?: number } };
  if (e?.oclif === undefined) return err;
  const message = String(e.message)
    .split('\n')[0]!
    .replace(/^Error: /, '');
  return new TsctrError(message, { hint: "See 'tsctr --help'." });
}
