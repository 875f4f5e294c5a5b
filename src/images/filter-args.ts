/**
 * docker's `--filter key=value` arguments (github.com/docker/docker/api/types/filters) as plain
 * data: parsed as the CLI's FilterOpt does, validated as the daemon does, with its messages.
 * Apart from ./filters.ts's matchers, which need the reference grammar: `ps` parses filters on
 * every start.
 */
import { TsctrError } from '../errors.ts';

/** Filter key → its values, in the order given (docker keeps a set; repeats are dropped). */
export type FilterArgs = Map<string, string[]>;

/**
 * The CLI side: each value must be `name=value`; the name is lower-cased and both sides are
 * trimmed. `flag` names the flag in pflag's error ("-f, --filter" or "--filter").
 */
export function parseFilters(values: readonly string[], flag: string, command: string): FilterArgs {
  const out: FilterArgs = new Map();
  for (const v of values) {
    if (v === '') continue;
    const eq = v.indexOf('=');
    if (eq < 0) {
      throw new TsctrError(
        `invalid argument "${v}" for "${flag}" flag: bad format of filter (expected name=value)`,
        { hint: `See 'tsctr ${command} --help'.` },
      );
    }
    addFilter(out, v.slice(0, eq).trim().toLowerCase(), v.slice(eq + 1).trim());
  }
  return out;
}

export function addFilter(args: FilterArgs, key: string, value: string): void {
  const list = args.get(key) ?? [];
  if (!list.includes(value)) list.push(value);
  args.set(key, list);
}

/** The daemon's Args.Validate: every key must be one the endpoint knows. */
export function validateFilters(args: FilterArgs, accepted: readonly string[]): void {
  for (const key of args.keys()) {
    if (!accepted.includes(key)) {
      throw new TsctrError(`invalid filter '${key}'`, {
        hint: `valid filters here: ${accepted.join(', ')}`,
      });
    }
  }
}

/** The daemon's invalidFilter with a value: Go prints the value list as [a b]. */
export function invalidFilterValue(key: string, values: readonly string[]): TsctrError {
  return new TsctrError(`invalid filter '${key}=[${values.join(' ')}]'`);
}

/** Args.GetBoolOrDefault: 1/true/True/TRUE or 0/false/False/FALSE, not both. */
export function filterBool(args: FilterArgs, key: string, dflt: boolean): boolean {
  const values = args.get(key);
  if (!values) return dflt;
  const isTrue = values.some((v) => ['1', 'true', 'True', 'TRUE'].includes(v));
  const isFalse = values.some((v) => ['0', 'false', 'False', 'FALSE'].includes(v));
  if (isTrue === isFalse) throw invalidFilterValue(key, values);
  return isTrue;
}
