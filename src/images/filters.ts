/**
 * docker's `--filter key=value` arguments (github.com/docker/docker/api/types/filters): parsed
 * as the CLI's FilterOpt does, validated and matched as the daemon does, with its messages
 * ("invalid filter 'x'", "invalid filter 'dangling=[maybe]'").
 */
import { pathMatch } from './path-match.ts';
import type { FilterArgs } from './filter-args.ts';
import { familiarName, parseReference, repositoryName } from '../registry/reference.ts';

export {
  addFilter,
  filterBool,
  invalidFilterValue,
  parseFilters,
  validateFilters,
  type FilterArgs,
} from './filter-args.ts';

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
