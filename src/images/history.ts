/**
 * `history`: one row per entry of the image config's history, newest first, as dockerd builds
 * them (daemon/images/image_history.go) and docker's CLI prints them
 * (cli/command/image/formatter_history.go). An entry that made a layer is matched, in order,
 * with the next diff_id and shows that layer's size; an `empty_layer` entry shows 0. Only the
 * newest row names the image: pulled images have no parent images, so the others are
 * "<missing>".
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { displayWidth } from '../format/text-width.ts';
import { resolveImage } from './resolve.ts';

export interface HistoryEntry {
  /** The image ID on the newest entry, "<missing>" on the others. */
  id: string;
  /** Unix seconds; 0 when the entry has no time. */
  created: number;
  createdBy: string;
  comment: string;
  size: number;
}

interface ConfigHistory {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export function historyEntries(
  rec: ImageRecord,
  layerSize: (diffId: string) => number,
): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  let layer = 0;
  for (const raw of (rec.config.history ?? []) as ConfigHistory[]) {
    let size = 0;
    if (!raw.empty_layer) {
      const diffId = rec.layers[layer++];
      if (diffId === undefined) {
        throw new TsctrError('too many non-empty layers in History section', {
          hint: "the image's config lists more layers in its history than in rootfs.diff_ids",
        });
      }
      size = layerSize(diffId);
    }
    const t = raw.created ? Date.parse(raw.created) : NaN;
    out.unshift({
      id: '<missing>',
      created: Number.isFinite(t) ? Math.floor(t / 1000) : 0,
      createdBy: raw.created_by ?? '',
      comment: raw.comment ?? '',
      size,
    });
  }
  if (out[0]) out[0].id = rec.id;
  return out;
}

/** The history of the image `input` names. */
export function imageHistory(paths: StatePaths, input: string): HistoryEntry[] {
  const store = new ImageStore(paths);
  return historyEntries(resolveImage(store.listImages(), input), (d) => store.layerSize(d));
}

/** docker's formatter.Ellipsis: at most `max` display columns, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  if (displayWidth(s) <= max) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = displayWidth(ch);
    if (w + cw > max - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** Go's time.Format(time.RFC3339) in the local zone: "2023-11-14T22:13:20Z" or "…+01:00". */
export function rfc3339Local(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number) => String(Math.trunc(n)).padStart(2, '0');
  const date = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const zone =
    off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.abs(off) / 60)}:${p(Math.abs(off) % 60)}`;
  return `${date}T${time}${zone}`;
}

export interface HistoryRow {
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  CreatedBy: string;
  Size: string;
  Comment: string;
}

export interface HistoryRowOptions {
  noTrunc: boolean;
  /** -H: sizes and dates for humans (docker's default). */
  human: boolean;
  duration: (ms: number) => string;
  size: (bytes: number) => string;
  now?: number;
}

// Times up to this one are shown blank in the CREATED column, as docker does (epoch dates).
const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

export function historyRows(entries: readonly HistoryEntry[], o: HistoryRowOptions): HistoryRow[] {
  const now = o.now ?? Date.now();
  return entries.map((e) => {
    const createdAt = rfc3339Local(e.created);
    const createdBy = e.createdBy.replaceAll('\t', ' ');
    return {
      ID: o.noTrunc ? e.id : e.id.slice(e.id.indexOf(':') + 1).slice(0, 12),
      CreatedSince: !o.human
        ? createdAt
        : e.created <= EPOCH_2000
          ? ''
          : `${o.duration(now - e.created * 1000)} ago`,
      CreatedAt: createdAt,
      CreatedBy: o.noTrunc ? createdBy : ellipsis(createdBy, 45),
      Size: o.human ? o.size(e.size) : String(e.size),
      Comment: e.comment,
    };
  });
}
