/**
 * tsctr's fish completion, which plugin-autocomplete does not write: built from the same
 * command list as its bash and zsh files (oclif's manifest: commands, topics, aliases, flags and
 * their summaries) and from the flags' `completion` (the build's completion table, which the
 * manifest does not carry). Names come from `<bin> __complete` (src/commands/__complete.ts),
 * as docker's fish completion asks `docker __complete`.
 */
import type { Command, Interfaces } from '@oclif/core';
import type { CompletionTable } from '../../complete.ts';
import { GLOBAL_OPTIONS } from '../../global-options.ts';

export interface FishInput {
  bin: string;
  /** Each command once, under its canonical id, its other names in `aliases`. */
  commands: readonly Command.Cached[];
  topics: readonly Interfaces.Topic[];
  table: CompletionTable;
}

/** A fish string literal: single quotes, in which only \ and ' are special. */
const q = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0]!;

const names = (cmd: Command.Cached) => [cmd.id, ...cmd.aliases];

export function fishScript({ bin, commands, topics, table }: FishInput): string {
  const visible = commands.filter((cmd) => !cmd.hidden).sort((a, b) => a.id.localeCompare(b.id));
  // Two-word commands (`image ls`), hidden ones too: they still name the command on the line.
  const paired = commands.flatMap(names).filter((n) => n.includes(':'));
  const c = `complete -c ${bin}`;
  return [
    header(bin, paired),
    '# Global options, before the command',
    ...GLOBAL_OPTIONS.map((o) => {
      const short = o.short ? ` -s ${o.short}` : '';
      const value = o.value ? ' -r' : '';
      return `${c} -n __${bin}_needs_command${short} -l ${o.long}${value} -d ${q(o.text)}`;
    }),
    '',
    '# Commands, and the management commands that group them',
    ...commandEntries(c, bin, visible, topics),
    '',
    "# Each command's flags, under every name of the command",
    ...visible.flatMap((cmd) => flagEntries(c, bin, cmd, table)),
    `${c} -n '__${bin}_command >/dev/null' -l help -d 'Print usage'`,
    '',
    '# Where a container, image, network or volume name goes: the names and nothing else, not',
    "# even files. Elsewhere the entries above complete, or files (fish's default).",
    `${c} -f -n __${bin}_names_here -a '$__${bin}_names'`,
    '',
  ].join('\n');
}

/** The first words: commands, management commands, and each management command's verbs. */
function commandEntries(
  c: string,
  bin: string,
  visible: readonly Command.Cached[],
  topics: readonly Interfaces.Topic[],
): string[] {
  const top = new Map<string, string>();
  const verbs: [string, string, string][] = [];
  for (const cmd of visible) {
    const text = cmd.summary ?? firstLine(cmd.description);
    for (const name of names(cmd)) {
      const [head, verb] = name.split(':') as [string, string | undefined];
      if (verb === undefined) {
        top.set(name, text);
        continue;
      }
      const topic = topics.find((t) => t.name === head);
      if (!top.has(head)) top.set(head, topic?.description ?? `${head} commands`);
      verbs.push([head, verb, text]);
    }
  }
  const byName = ([a]: [string, ...string[]], [b]: [string, ...string[]]) => a.localeCompare(b);
  return [
    ...[...top]
      .sort(byName)
      .map(
        ([name, text]) => `${c} -f -n __${bin}_needs_command -a ${name} -d ${q(firstLine(text))}`,
      ),
    ...verbs
      .sort((x, y) => byName(x, y) || x[1].localeCompare(y[1]))
      .map(
        ([head, verb, text]) =>
          `${c} -f -n '__${bin}_is ${head}' -a ${verb} -d ${q(firstLine(text))}`,
      ),
  ];
}

/**
 * A command's flags, `-r` where one takes a value (files complete there), `-x` with the names
 * where the value names something (fish completes an option's value from its own entry only).
 */
function flagEntries(
  c: string,
  bin: string,
  cmd: Command.Cached,
  table: CompletionTable,
): string[] {
  const is = `-n '__${bin}_is ${names(cmd).join(' ')}'`;
  const out: string[] = [];
  for (const [name, f] of Object.entries(cmd.flags)) {
    if (f.hidden) continue;
    const kind = table[cmd.id]?.flags[name]?.completion;
    const value = f.type !== 'option' ? '' : kind ? ` -x -a '(__${bin}_names)'` : ' -r';
    const text = q(firstLine(f.summary ?? f.description));
    const short = f.char ? ` -s ${f.char}` : '';
    for (const [k, long] of [name, ...(f.aliases ?? [])].entries()) {
      out.push(`${c} ${is}${k === 0 ? short : ''} -l ${long}${value} -d ${text}`);
    }
  }
  // Arguments with a fixed set of values (the shell of `autocomplete`).
  for (const arg of Object.values(cmd.args)) {
    if (arg.options?.length) out.push(`${c} -f ${is} -a ${q(arg.options.join(' '))}`);
  }
  return out;
}

// A template literal: fish's own "$" before "{" does not occur, and "\" is written "\\".
const header = (
  bin: string,
  paired: string[],
) => `# ${bin}'s fish completion, written by '${bin} autocomplete create'; '${bin} autocomplete
# --refresh-cache' writes it anew (after an upgrade, for new commands and flags).
complete -c ${bin} -e

# The command the words before the cursor name, as oclif's id ("image:ls", "ps"), or the
# management command while its verb is still to come ("image"); status 1 while there is
# neither. Global options (--root DIR, -v) come first.
function __${bin}_command
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]; and string match -q -- '-?*' $words[1]
        contains -- $words[1] --root --runroot; and set -e words[1]
        set -e words[1]
    end
    set -q words[1]; or return 1
    if set -q words[2]; and contains -- $words[1]:$words[2] ${paired.join(' ')}
        echo $words[1]:$words[2]
    else
        echo $words[1]
    end
end

function __${bin}_needs_command
    not __${bin}_command >/dev/null
end

# True when the line names one of the commands given (an id and its aliases).
function __${bin}_is
    set -l cmd (__${bin}_command); or return 1
    contains -- $cmd $argv
end

# "${bin} __complete" reads the line as ${bin} does: where a container, image, network or volume
# name goes, it prints the names and exits 0; anywhere else it exits 1. The names wait in
# $__${bin}_names for the entry whose condition this is.
function __${bin}_names_here
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -g __${bin}_names ($words[1] __complete -- $words[2..] "$cur" 2>/dev/null)
end

# A flag's own entry: fish completes "--network=VALUE" as the flag's value, and puts the
# "--network=" back itself.
function __${bin}_names
    __${bin}_names_here; or return
    if string match -q -- '--*=*' (commandline -ct)
        string replace -r -- '^--[^=]*=' '' $__${bin}_names
    else
        printf '%s\\n' $__${bin}_names
    end
end
`;
