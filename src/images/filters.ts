/**
 * docker's `--filter key=value` arguments (github.com/docker/docker/api/types/filters): parsed
 * as the CLI's FilterOpt does, validated and matched as the daemon does, with its messages
 * ("invalid filter 'x'", "invalid filter 'dangling=[maybe]'").
 */
import { TsctrError } from '../errors.ts';
import { pathMatch } from './path-match.ts';
import { familiarName, parseReference, repositoryName } from '../registry/reference.ts';

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

/**
 * Args.MatchKVList: every `key` or `key=value` given must be among `labels` (all of them:
 * several label filters are ANDed). True when no such filter is given.
 */
export function matchLabels(
  args: FilterArgs,
  key: string,
  labels: Record<string, string> | undefined | null,
): boolean {
  const wanted = args.get(key);
  if (!wanted?.length) return true;
  if (!labels || Object.keys(labels).length === 0) return false;
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    if (!Object.hasOwn(labels, k)) return false;
    return eq < 0 || labels[k] === w.slice(eq + 1);
  });
}

/**
 * reference.FamiliarMatch: `pattern` (Go's path.Match) against the familiar form of a
 * canonical reference ("busybox:latest", "busybox@sha256:…"), then against its repository
 * alone ("busybox").
 */
export function familiarMatch(pattern: string, canonical: string): boolean {
  const ref = parseReference(canonical);
  return pathMatch(pattern, familiarName(ref)) || pathMatch(pattern, repositoryName(ref));
}
