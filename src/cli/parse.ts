/**
 * Parses a command's argv as the docker CLI's spf13/pflag does, from the command's oclif-format
 * flag table (src/cli/flags.ts): `--name value`, `--name=value`, `--bool=false`, combined shorts
 * (`-it`, `-eA=b`, `-p80:80`), `--` ending options, a repeatable flag taking one value per
 * occurrence, the last value of a single-valued flag winning, a value that looks like a flag
 * taken as the value (`--name --rm`), and for commands that are not interspersed (`run`,
 * docker's SetInterspersed(false)) options end at the first positional argument, so
 * `run img sh -c x` hands `-c` to sh. Errors use pflag's and cobra's wording and exit 125.
 *
 * oclif's parser is not used: measured against this corpus it turns `--tls-verify=false` into
 * a positional `false`, refuses `--name --rm`, reads `-1` as an argument, does not stop at the
 * image, and re-orders what follows `--`. Both the front door (src/main.ts) and oclif's
 * dispatch (src/cli/oclif/) call this parser, so the two paths cannot disagree on argv.
 */
import { TsctrError } from '../errors.ts';
import type { ArgDefs, FlagDef, FlagDefs } from './flags.ts';

export interface CommandShape {
  flags: FlagDefs;
  args: ArgDefs;
  /** oclif's `strict`: false allows positional arguments beyond `args` (returned in argv). */
  strict: boolean;
  /** docker's SetInterspersed: false makes options stop at the first positional. */
  interspersed: boolean;
}

type FlagValue<F> = F extends { type: 'boolean' }
  ? boolean
  : F extends { multiple: true }
    ? string[]
    : string | undefined;
export type ParsedFlags<F extends FlagDefs> = { [K in keyof F]: FlagValue<F[K]> };
export type ParsedArgs<A extends ArgDefs> = { [K in keyof A]: string };

export interface Parsed<F extends FlagDefs = FlagDefs, A extends ArgDefs = ArgDefs> {
  flags: ParsedFlags<F>;
  args: ParsedArgs<A>;
  /** Every positional argument, the declared ones first. */
  argv: string[];
}

/** How docker names the command in messages: `tsctr image ls`. */
export const spoken = (id: string) => id.replaceAll(':', ' ');

function usageError(message: string, id: string): TsctrError {
  return new TsctrError(message, { hint: `See 'tsctr ${spoken(id)} --help'.` });
}

/** pflag's IntVar: a decimal integer, or docker's error naming the flag (`-t, --time`). */
export function intFlag(id: string, spelled: string, value: string): number {
  if (/^[-+]?\d+$/.test(value)) return Number(value);
  throw usageError(
    `invalid argument "${value}" for "${spelled}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
    id,
  );
}

const TRUE = /^(1|t|T|TRUE|true|True)$/;
const BOOL = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;

export function parseArgv(id: string, argv: readonly string[], shape: CommandShape): Parsed {
  const byName = new Map<string, [string, FlagDef]>();
  const byChar = new Map<string, [string, FlagDef]>();
  const values: Record<string, boolean | string | string[] | undefined> = {};
  for (const [name, def] of Object.entries(shape.flags)) {
    byName.set(name, [name, def]);
    for (const a of def.aliases ?? []) byName.set(a, [name, def]);
    if (def.char) byChar.set(def.char, [name, def]);
    values[name] = def.type === 'boolean' ? def.default : def.multiple ? [] : undefined;
  }
  const set = (name: string, def: FlagDef, value: string) => {
    if (def.type === 'boolean') {
      if (!BOOL.test(value)) {
        throw usageError(
          `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
          id,
        );
      }
      values[name] = TRUE.test(value);
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
    if (!shape.interspersed) {
      positional.push(...argv.slice(i));
      break;
    }
    positional.push(a);
  }

  const argNames = Object.keys(shape.args);
  const required = argNames.filter((n) => shape.args[n]!.required).length;
  if (positional.length < required || (shape.strict && positional.length > argNames.length)) {
    const want = wanted(argNames.length, required, shape.strict);
    const verb = want === 'no arguments' ? 'accepts' : 'requires';
    throw usageError(`"tsctr ${spoken(id)}" ${verb} ${want}.`, id);
  }
  const args: Record<string, string> = {};
  argNames.forEach((n, k) => {
    if (positional[k] !== undefined) args[n] = positional[k]!;
  });
  return { flags: values, args, argv: positional } as Parsed;
}

// cobra's ExactArgs / MinimumNArgs / MaximumNArgs wording (docker's cli/required.go).
function wanted(declared: number, required: number, strict: boolean): string {
  const n = (k: number) => `${k} argument${k === 1 ? '' : 's'}`;
  if (!strict) return `at least ${n(required)}`;
  if (declared === 0) return 'no arguments';
  return required === declared ? `exactly ${n(declared)}` : `at most ${n(declared)}`;
}

/**
 * True when `--help` (or `-h` where the command has no -h flag of its own) comes before `--`
 * and, for a command that is not interspersed, before the first positional argument.
 */
export function wantsHelp(argv: readonly string[], shape: CommandShape): boolean {
  const flags = Object.values(shape.flags);
  const hasH = flags.some((f) => f.char === 'h');
  const takesValue = (a: string): boolean => {
    if (a.startsWith('--')) {
      if (a.includes('=')) return false;
      const f = shape.flags[a.slice(2)] ?? flags.find((d) => d.aliases?.includes(a.slice(2)));
      return f?.type === 'option';
    }
    // A short cluster takes the next word when its value flag is its last letter (`-it -e X`,
    // not `-eh`, where h is e's value).
    for (let j = 1; j < a.length; j++) {
      const f = flags.find((d) => d.char === a[j]);
      if (f?.type !== 'boolean') return f !== undefined && j === a.length - 1;
      if (a[j + 1] === '=') return false;
    }
    return false;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return false;
    if (a === '--help' || (a === '-h' && !hasH)) return true;
    if (!a.startsWith('-') || a === '-') {
      if (!shape.interspersed) return false;
      continue;
    }
    if (takesValue(a)) i++;
  }
  return false;
}
