/**
 * Rows for `images`: dockerd's image list with its filters (daemon/images/images.go), expanded
 * into rows as docker's CLI does (cli/command/formatter/image.go): one row per tag; digest
 * references show in the DIGEST column of their repository's tag rows (only when digests are
 * asked for), or as a "<none>" tag row of their own when the repository has no tag; an image
 * with no reference left is one <none> <none> row. Fields are docker's (.Repository, .Tag, .ID,
 * .Digest, .CreatedSince, .CreatedAt, .Size, .Containers …).
 */
import type { StatePaths } from '../config/paths.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { parseCanonical, repositoryName } from '../registry/reference.ts';
import {
  familiarMatch,
  invalidFilterValue,
  matchLabels,
  validateFilters,
  type FilterArgs,
} from './filters.ts';
import { resolveImage } from './resolve.ts';
import { parseTimestamp } from './timestamp.ts';
import { goTimeString } from '../format/units.ts';

export interface ImageRow {
  Repository: string;
  Tag: string;
  ID: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
}

export interface ImagesOptions {
  noTrunc: boolean;
  human: (ms: number) => string;
  size: (bytes: number) => string;
  now?: number;
  /** --filter, with the positional REPOSITORY[:TAG] added as a `reference` filter. */
  filters?: FilterArgs;
  /** --digests: a row per digest of a tag's repository, and digest-only rows per digest. */
  digests?: boolean;
  /** The format shows .Digest, so tag rows carry their repository's digests. */
  needDigest?: boolean;
}

export const IMAGE_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

const createdOf = (img: ImageRecord) => {
  const t = img.config.created ? Date.parse(img.config.created) : NaN;
  return Number.isFinite(t) ? t : 0;
};

interface Selected {
  img: ImageRecord;
  tags: string[];
  digests: string[];
}

/** The images the filters keep, each with the references that match `reference=`. */
export function selectImages(images: readonly ImageRecord[], filters: FilterArgs): Selected[] {
  validateFilters(filters, IMAGE_FILTERS);
  const dangling = filters.get('dangling');
  const danglingOnly = !!dangling?.includes('true');
  if (dangling && !danglingOnly && !dangling.includes('false')) {
    throw invalidFilterValue('dangling', dangling);
  }
  // Several values: the last one wins, as dockerd's WalkValues assignment does.
  const before = filters
    .get('before')
    ?.map((v) => resolveImage(images, v))
    .at(-1);
  const since = filters
    .get('since')
    ?.map((v) => resolveImage(images, v))
    .at(-1);
  const until = filters
    .get('until')
    ?.map((v) => parseTimestamp(v))
    .at(-1);
  const patterns = filters.get('reference');
  const matches = (ref: string) => !patterns || patterns.some((p) => familiarMatch(p, ref));

  const out: Selected[] = [];
  for (const img of images) {
    const created = createdOf(img);
    if (before && created >= createdOf(before)) continue;
    if (since && created <= createdOf(since)) continue;
    if (until !== undefined && created > until) continue;
    if (!matchLabels(filters, 'label', img.config.config?.Labels)) continue;
    const tags = img.names.filter(matches);
    const digests = img.digests.filter(matches);
    if (danglingOnly && tags.length) continue;
    if (!tags.length && !digests.length && ((dangling && !danglingOnly) || patterns)) continue;
    out.push({ img, tags, digests });
  }
  return out;
}

/** Appends to `map[key]`, keeping first-seen key order. */
function group(map: Map<string, string[]>, key: string, value: string): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

/** docker's imageFormatTaggedAndDigest: [repository, tag, digest] per row. */
export function expandRows(
  tags: readonly string[],
  digests: readonly string[],
  opts: { digests: boolean; needDigest: boolean },
): [string, string, string][] {
  if (!tags.length && !digests.length) return [['<none>', '<none>', '<none>']];
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const t of tags) {
    const ref = parseCanonical(t);
    if (ref.tag) group(repoTags, repositoryName(ref), ref.tag);
  }
  for (const d of digests) {
    const ref = parseCanonical(d);
    if (ref.digest) group(repoDigests, repositoryName(ref), ref.digest);
  }
  const rows: [string, string, string][] = [];
  for (const [repo, list] of repoTags) {
    const ds = opts.digests || opts.needDigest ? (repoDigests.get(repo) ?? []) : [];
    repoDigests.delete(repo);
    for (const tag of list) {
      if (!ds.length) rows.push([repo, tag, '<none>']);
      for (const d of ds) rows.push([repo, tag, d]);
    }
  }
  for (const [repo, ds] of repoDigests) {
    if (opts.digests) for (const d of ds) rows.push([repo, '<none>', d]);
    else rows.push([repo, '<none>', '']);
  }
  return rows;
}

export function imageRows(paths: StatePaths, opts: ImagesOptions): ImageRow[] {
  const now = opts.now ?? Date.now();
  const selected = selectImages(new ImageStore(paths).listImages(), opts.filters ?? new Map());
  // Newest first, as dockerd sorts its list.
  selected.sort((a, b) => createdOf(b.img) - createdOf(a.img));
  const out: ImageRow[] = [];
  for (const { img, tags, digests } of selected) {
    const created = createdOf(img);
    const base = {
      ID: opts.noTrunc ? img.id : img.id.slice(7, 19),
      CreatedSince: created ? `${opts.human(now - created)} ago` : 'N/A',
      CreatedAt: created ? goTimeString(created) : '',
      Size: opts.size(img.size),
      VirtualSize: opts.size(img.size),
      Containers: 'N/A',
      SharedSize: 'N/A',
      UniqueSize: 'N/A',
    };
    const rows = expandRows(tags, digests, {
      digests: !!opts.digests,
      needDigest: !!opts.needDigest,
    });
    for (const [Repository, Tag, Digest] of rows) out.push({ ...base, Repository, Tag, Digest });
  }
  return out;
}
