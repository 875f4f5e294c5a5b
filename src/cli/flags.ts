/**
 * Flag and argument definitions, with the builder names oclif uses (`Flags.boolean`,
 * `Flags.string`, `Args.string`), parsed the way the docker CLI's spf13/pflag parses:
 * `--name value`, `--name=value`, `--bool=false`, combined shorts (`-it`, `-eA=b`), `--` ending
 * options, docker's error wording. Options stop at the first positional argument for commands
 * like `run` (docker's SetInterspersed(false)), so `run img sh -c x` hands `-c` to sh.
 *
 * Why not oclif's parser at run time: loading it costs ~20 ms and @oclif/core as a whole ~65 ms
 * per invocation here (measured with V8's CPU profiler), against a 60 ms budget for a whole
 * `tsctr ps`; and its wording and greedy multi-value flags are not docker's.
 */
import { TsctrError } from '../errors.ts';

interface Common {
  char?: string;
  aliases?: string[];
  description?: string;
  hidden?: boolean;
  helpValue?: string;
}
export interface BooleanFlag extends Common {
  type: 'boolean';
  /** The value when the flag is not given (docker's `history --human` is on by default). */
  default?: boolean;
}
export interface OptionFlag<M extends boolean = boolean> extends Common {
  type: 'option';
  multiple: M;
}
export type FlagDef = BooleanFlag | OptionFlag;
export type FlagDefs = Record<string, FlagDef>;

export interface ArgDef {
  description?: string;
  required: boolean;
}
export type ArgDefs = Record<string, ArgDef>;

export const Flags = {
  boolean: (o: Common & { default?: boolean } = {}): BooleanFlag => ({ ...o, type: 'boolean' }),
  string: (o: Common = {}): OptionFlag<false> => ({ ...o, type: 'option', multiple: false }),
  strings: (o: Common = {}): OptionFlag<true> => ({ ...o, type: 'option', multiple: true }),
};

export const Args = {
  string: (o: { description?: string; required?: boolean } = {}): ArgDef => ({
    description: o.description,
    required: o.required ?? false,
  }),
};

type FlagValue<F> = F extends BooleanFlag
  ? boolean
  : F extends OptionFlag<true>
    ? string[]
    : string | undefined;
export type ParsedFlags<F extends FlagDefs> = { [K in keyof F]: FlagValue<F[K]> };
export type ParsedArgs<A extends ArgDefs> = { [K in keyof A]: string };

export interface CommandShape<F extends FlagDefs, A extends ArgDefs> {
  flags: F;
  args: A;
  stopAtFirstArg: boolean;
  /** Accept positional arguments beyond `args` (returned in `argv`). */
  variadic: boolean;
}

export interface Parsed<F extends FlagDefs, A extends ArgDefs> {
  flags: ParsedFlags<F>;
  args: ParsedArgs<A>;
  /** Every positional argument, the declared ones first. */
  argv: string[];
}

function usageError(message: string, id: string): TsctrError {
  return new TsctrError(message, { hint: `See 'tsctr ${id} --help'.` });
}

export function parseArgv<F extends FlagDefs, A extends ArgDefs>(
  id: string,
  argv: readonly string[],
  shape: CommandShape<F, A>,
): Parsed<F, A> {
  const byName = new Map<string, [string, FlagDef]>();
  const byChar = new Map<string, [string, FlagDef]>();
  for (const [name, def] of Object.entries(shape.flags)) {
    byName.set(name, [name, def]);
    for (const a of def.aliases ?? []) byName.set(a, [name, def]);
    if (def.char) byChar.set(def.char, [name, def]);
  }
  const values: Record<string, boolean | string | string[] | undefined> = {};
  for (const [name, def] of Object.entries(shape.flags)) {
    values[name] =
      def.type === 'boolean'
        ? (def.default ?? false)
        : def.type === 'option' && def.multiple
          ? []
          : undefined;
  }
  const set = (name: string, def: FlagDef, value: string) => {
    if (def.type === 'boolean') {
      if (!/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(value)) {
        throw usageError(
          `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
          id,
        );
      }
      values[name] = /^(true|1|t|TRUE|True)$/.test(value);
    } else if (def.multiple) (values[name] as string[]).push(value);
    else values[name] = value;
  };

  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const found = byName.get(key);
      if (!found) throw usageError(`unknown flag: --${key}`, id);
      const [name, def] = found;
      if (eq >= 0) set(name, def, a.slice(eq + 1));
      else if (def.type === 'boolean') values[name] = true;
      else if (i + 1 < argv.length) set(name, def, argv[++i]!);
      else throw usageError(`flag needs an argument: --${key}`, id);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const found = byChar.get(c);
        if (!found) throw usageError(`unknown shorthand flag: '${c}' in ${a}`, id);
        const [name, def] = found;
        if (def.type === 'boolean') {
          if (a[j + 1] === '=') {
            set(name, def, a.slice(j + 2));
            break;
          }
          values[name] = true;
          continue;
        }
        const rest = a.slice(j + 1).replace(/^=/, '');
        if (rest) set(name, def, rest);
        else if (i + 1 < argv.length) set(name, def, argv[++i]!);
        else throw usageError(`flag needs an argument: '${c}' in -${c}`, id);
        break;
      }
      continue;
    }
    if (shape.stopAtFirstArg) {
      positional.push(...argv.slice(i));
      break;
    }
    positional.push(a);
  }

  const argNames = Object.keys(shape.args);
  const required = argNames.filter((n) => shape.args[n]!.required).length;
  const exact = !shape.variadic && required === argNames.length;
  if (positional.length < required || (!shape.variadic && positional.length > argNames.length)) {
    const want = exact
      ? `exactly ${argNames.length} argument${argNames.length === 1 ? '' : 's'}`
      : shape.variadic
        ? `at least ${required} argument${required === 1 ? '' : 's'}`
        : `at most ${argNames.length} argument${argNames.length === 1 ? '' : 's'}`;
    throw usageError(`"tsctr ${id}" requires ${want}.`, id);
  }
  const args: Record<string, string> = {};
  argNames.forEach((n, k) => {
    if (positional[k] !== undefined) args[n] = positional[k]!;
  });
  return { flags: values as ParsedFlags<F>, args: args as ParsedArgs<A>, argv: positional };
}

/** True when `--help` (or `-h` where the command has no -h flag) comes before any positional. */
export function wantsHelp(
  argv: readonly string[],
  flags: FlagDefs,
  stopAtFirstArg: boolean,
): boolean {
  const hasH = Object.values(flags).some((f) => f.char === 'h');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return false;
    if (a === '--help' || (a === '-h' && !hasH)) return true;
    if (!a.startsWith('-') && stopAtFirstArg) return false;
    const f = a.startsWith('--')
      ? Object.entries(flags).find(([n]) => n === a.slice(2))?.[1]
      : undefined;
    if (f?.type === 'option') i++;
  }
  return false;
}
