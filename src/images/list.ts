/**
 * Rows for `images`: one per tag (an untagged image is one <none> row), docker's fields
 * (.Repository, .Tag, .ID, .Digest, .CreatedSince, .CreatedAt, .Size, .Containers …).
 */
import type { StatePaths } from '../config/paths.ts';
import { ImageStore } from '../storage/store.ts';
import { familiarName, parseReference } from '../registry/reference.ts';

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
}

export function imageRows(paths: StatePaths, opts: ImagesOptions): ImageRow[] {
  const now = opts.now ?? Date.now();
  const out: (ImageRow & { t: number })[] = [];
  for (const img of new ImageStore(paths).listImages()) {
    const created = img.config.created ? Date.parse(img.config.created) : NaN;
    const base = {
      ID: opts.noTrunc ? img.id : img.id.slice(7, 19),
      Digest: img.manifestDigest || '<none>',
      CreatedSince: Number.isFinite(created) ? `${opts.human(now - created)} ago` : 'N/A',
      CreatedAt: img.config.created ?? '',
      Size: opts.size(img.size),
      VirtualSize: opts.size(img.size),
      Containers: 'N/A',
      SharedSize: 'N/A',
      UniqueSize: 'N/A',
      t: Number.isFinite(created) ? created : 0,
    };
    const names = img.names.length ? img.names : [''];
    for (const n of names) {
      let repo = '<none>';
      let tag = '<none>';
      if (n) {
        const ref = parseReference(n);
        const fam = familiarName({ domain: ref.domain, path: ref.path });
        repo = fam;
        tag = ref.tag ?? '<none>';
      }
      out.push({ ...base, Repository: repo, Tag: tag });
    }
  }
  return out.sort((a, b) => b.t - a.t).map(({ t: _t, ...r }) => r);
}
