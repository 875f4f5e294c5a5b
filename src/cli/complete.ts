/**
 * What the word under the cursor is, for `tsctr __complete` (src/commands/__complete.ts), the
 * hidden command the shell completion files call, as docker's cobra CLI calls `docker
 * __complete`: the value of a flag that names something (`run --network`), a positional
 * argument that names something (`rmi IMAGE...`), or neither. The words are walked as
 * src/cli/parse.ts parses them — global options first, the command's name, a value-taking flag
 * consuming the next word whatever it looks like, short clusters, `--`, and options ending at
 * the first positional for commands that are not interspersed — but leniently: a line being
 * typed is often not yet a valid one.
 *
 * The commands are read from a table the build bakes into the `__complete` bundle
 * (`completionTable`, from the same classes as the route table), so a TAB loads no command
 * bundle: some carry a registry client and take longer to load than the whole lookup.
 */
import { TsctrError } from '../errors.ts';
import type { ArgCompletion, Completion, FlagDefs } from './flags.ts';
import { takeGlobal } from './global-options.ts';
import { resolveCommand, type Routes } from './routes.ts';

/** A flag as completion needs it. */
export interface FlagCompletion {
  char?: string;
  /** It takes a value (the next word, or after `=`). */
  value?: true;
  completion?: Completion;
}

/** A command as completion needs it: plain data, baked into the build. */
export interface CommandCompletion {
  /** By every long name the flag has, its aliases included. */
  flags: Record<string, FlagCompletion>;
  strict: boolean;
  interspersed: boolean;
  args?: ArgCompletion[];
}

/** By canonical command id. */
export type CompletionTable = Record<string, CommandCompletion>;

interface Completable {
  flags: FlagDefs;
  strict: boolean;
  interspersed: boolean;
  completion?: ArgCompletion[] | undefined;
}

export function completionTable(commands: Record<string, Completable>): CompletionTable {
  const table: CompletionTable = {};
  for (const [id, cmd] of Object.entries(commands)) {
    const flags: Record<string, FlagCompletion> = {};
    for (const [name, def] of Object.entries(cmd.flags)) {
      const f: FlagCompletion = {};
      if (def.char) f.char = def.char;
      if (def.type === 'option') f.value = true;
      if (def.type === 'option' && def.completion) f.completion = def.completion;
      for (const n of [name, ...(def.aliases ?? [])]) flags[n] = f;
    }
    table[id] = { flags, strict: cmd.strict, interspersed: cmd.interspersed };
    if (cmd.completion) table[id].args = cmd.completion;
  }
  return table;
}

export interface CompletionSite {
  /** What the names are names of; several for inspect's NAME|ID. */
  kinds: readonly Completion[];
  /** The part of the name typed so far. */
  prefix: string;
  /** What each name is printed after: `--network=` when the value shares the flag's word. */
  lead: string;
  /** `--root`/`--runroot` given before the command: where the names are. */
  root?: string;
  runroot?: string;
}

/**
 * `words` are the words after `tsctr`, the last one the partial word under the cursor (empty
 * after a space). Undefined when that word is no name: a command, a flag, a free argument.
 */
export function completionSite(
  words: readonly string[],
  routes: Routes,
  table: CompletionTable,
): CompletionSite | undefined {
  if (words.length === 0) return undefined;
  const cursor = words.at(-1)!;
  let global;
  try {
    // Throws for an unknown global option and when the cursor is --root's value.
    global = takeGlobal(words.slice(0, -1));
  } catch (err) {
    if (err instanceof TsctrError) return undefined;
    throw err;
  }
  if (global.help || global.version) return undefined;
  // The cursor's own word is never part of the command's name: `image rm<TAB>` is the
  // shell's command completion.
  const route = resolveCommand(global.rest, (id) => id in routes);
  const cmd = route && table[routes[route.id]!];
  if (!route || !cmd) return undefined;
  const at = (kinds: ArgCompletion | undefined, prefix: string, lead = '') => {
    if (kinds === undefined || kinds === null) return undefined;
    const site: CompletionSite = {
      kinds: typeof kinds === 'string' ? [kinds] : kinds,
      prefix,
      lead,
    };
    if (global.root !== undefined) site.root = global.root;
    if (global.runroot !== undefined) site.runroot = global.runroot;
    return site;
  };
  const byChar = (c: string) => Object.values(cmd.flags).find((f) => f.char === c);

  let positional = 0;
  let options = true;
  const rest = route.rest;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!options || a === '-' || !a.startsWith('-')) {
      positional++;
      if (!cmd.interspersed) options = false;
      continue;
    }
    if (a === '--') {
      options = false;
      continue;
    }
    if (!takesNextWord(a, cmd.flags, byChar)) continue;
    // The flag's value is the next word, whatever it looks like (`--name --rm`).
    if (i + 1 === rest.length) {
      const name = a.startsWith('--') ? a.slice(2) : a.at(-1)!;
      const f = a.startsWith('--') ? cmd.flags[name] : byChar(name);
      return at(f?.completion, cursor);
    }
    i++;
  }

  if (options && cursor.startsWith('-') && cursor !== '-') {
    const v = valueInWord(cursor, cmd.flags, byChar);
    return v && at(v.flag.completion, cursor.slice(v.lead.length), v.lead);
  }
  const args = cmd.args ?? [];
  const entry = positional < args.length ? args[positional] : cmd.strict ? undefined : args.at(-1);
  return at(entry, cursor);
}

/**
 * The flag whose value the option word under the cursor holds after its name (`--network=no`,
 * `-n=no`, `-dnno`) and what precedes the value; undefined when the word is still a flag's name.
 */
function valueInWord(
  word: string,
  flags: Record<string, FlagCompletion>,
  byChar: (c: string) => FlagCompletion | undefined,
): { flag: FlagCompletion; lead: string } | undefined {
  if (word.startsWith('--')) {
    const eq = word.indexOf('=');
    const flag = eq < 0 ? undefined : flags[word.slice(2, eq)];
    return flag && { flag, lead: word.slice(0, eq + 1) };
  }
  // A short cluster: the first flag that takes a value takes the rest of the word.
  for (let j = 1; j < word.length; j++) {
    const flag = byChar(word[j]!);
    const eq = word[j + 1] === '=';
    if (!flag || (!flag.value && eq)) return undefined;
    if (!flag.value) continue;
    const lead = word.slice(0, eq ? j + 2 : j + 1);
    return lead.length < word.length || eq ? { flag, lead } : undefined;
  }
  return undefined;
}

/** Whether option word `a` leaves its flag's value to the next word (`--name`, `-it -e`). */
function takesNextWord(
  a: string,
  flags: Record<string, FlagCompletion>,
  byChar: (c: string) => FlagCompletion | undefined,
): boolean {
  if (a.startsWith('--')) return !a.includes('=') && flags[a.slice(2)]?.value === true;
  for (let j = 1; j < a.length; j++) {
    const f = byChar(a[j]!);
    // An unknown letter: the line is wrong already; read the rest as flags without values.
    if (!f) continue;
    if (f.value) return j === a.length - 1;
    if (a[j + 1] === '=') return false;
  }
  return false;
}
