/**
 * `image prune`: dockerd's ImagePrune (daemon/images/image_prune.go). Candidates are the
 * dangling images (no tag), or with -a every image; `until=` and `label=`/`label!=` narrow them.
 * Each is removed as `rmi` without -f would remove it (by each of its references, or by ID when
 * it has none), and an image a container uses is skipped silently, as docker skips conflicts.
 * The space reclaimed is what garbage collection freed: layer contents and blobs.
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore } from '../storage/store.ts';
import { addFilter, filterBool, matchLabels, validateFilters, type FilterArgs } from './filters.ts';
import { parseTimestamp } from './timestamp.ts';
import { collectStore, ImageDeleter, referencesOf, type DeleteItem } from './remove.ts';

export interface PruneResult {
  items: DeleteItem[];
  reclaimed: number;
}

function untilOf(filters: FilterArgs): number | undefined {
  const values = filters.get('until');
  if (!values) return undefined;
  if (values.length > 1) throw new TsctrError('more than one until filter specified');
  try {
    return parseTimestamp(values[0]!);
  } catch (err) {
    if (!(err instanceof TsctrError)) throw err;
    throw new TsctrError(`invalid value for 'until' filter: ${err.message}`, { hint: err.hint });
  }
}

export async function pruneImages(
  paths: StatePaths,
  opts: { all: boolean; filters: FilterArgs },
): Promise<PruneResult> {
  const filters: FilterArgs = new Map([...opts.filters].map(([k, v]) => [k, [...v]]));
  // docker's CLI turns -a into the daemon's dangling filter.
  addFilter(filters, 'dangling', String(!opts.all));
  validateFilters(filters, ['dangling', 'label', 'label!', 'until']);
  const danglingOnly = filterBool(filters, 'dangling', true);
  const until = untilOf(filters);

  const store = new ImageStore(paths);
  const items: DeleteItem[] = [];
  let deletedAny = false;
  await store.withRecordLock(() => {
    const deleter = new ImageDeleter(paths);
    for (const snapshot of store.listImages()) {
      const labels = snapshot.config.config?.Labels;
      const created = snapshot.config.created ? Date.parse(snapshot.config.created) : NaN;
      if (until !== undefined && !(created <= until)) continue;
      if (!matchLabels(filters, 'label', labels)) continue;
      if (filters.has('label!') && matchLabels(filters, 'label!', labels)) continue;
      const rec = store.getImage(snapshot.id);
      if (!rec || (danglingOnly && rec.names.length > 0)) continue;
      const refs = referencesOf(rec);
      for (const input of refs.length ? refs : [rec.id.slice(7)]) {
        try {
          items.push(...deleter.delete(input, false));
        } catch (err) {
          // A conflict (a container uses it) or a reference already gone: docker skips it.
          if (!(err instanceof TsctrError)) throw err;
        }
      }
    }
    deletedAny = deleter.deletedAny;
  });
  const reclaimed = deletedAny ? (await collectStore(paths)).bytes : 0;
  return { items, reclaimed };
}
