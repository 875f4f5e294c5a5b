/**
 * When a committed layer can be trusted to be on disk.
 *
 * A layer is committed (renamed into layers/) as soon as it is verified, without waiting for its
 * files to be written back: a syncfs before each commit was a fifth of a large pull. Instead
 *   - layer.json records the boot the layer was committed in (the kernel's random boot id) and a
 *     token of its own;
 *   - when the command has finished its work, a detached `sync -f ROOT/layers` runs, and only after it
 *     returns creates synced/<hex>-<token>: a marker that exists only if the layer reached the
 *     disk before it did (the token keeps a marker of an earlier copy of the same layer from
 *     vouching for a new one);
 *   - a layer of the current boot is sound whatever the disk holds, since the page cache has
 *     every byte and a killed process loses none of it; one of an earlier boot is sound only
 *     with its marker. Without one, the machine may have gone down before write-back, leaving
 *     empty or short files under a complete-looking layer.json: the layer is suspect. pull and
 *     load import a suspect layer again; run refuses it.
 * A layer.json without a boot id was written by a writer that synced before every commit, and
 * where the boot id cannot be read the writer still does (LayerWriter.end).
 *
 * What this gives up: a write-back I/O error in the same boot is no longer reported by the pull
 * (syncfs before commit would have failed it); the background sync then fails, no marker is
 * made, and the layer is suspect after the next reboot. podman and docker sync nothing.
 */
import { readFileSync } from 'node:fs';

// Loaded on first use: `ps`, `images` and `run` read layer states without spawning anything.
const childProcess = () => process.getBuiltinModule('node:child_process');
const crypto = () => process.getBuiltinModule('node:crypto');

export type LayerState =
  /** No layer.json: not in the store. */
  | 'missing'
  /** On disk for certain: synced before commit, or its marker exists. */
  | 'sound'
  /** Committed in this boot, not yet known to be on disk: usable, since no crash came between. */
  | 'unsynced'
  /** Committed in an earlier boot and never known to have reached the disk. */
  | 'suspect';

/** Whether pull, load and run can use a layer in this state as it is. */
export const usable = (s: LayerState): boolean => s === 'sound' || s === 'unsynced';

/** What layer.json holds. */
export interface LayerMeta {
  diffId: string;
  size: number;
  /** The boot the layer was committed in, when it was committed unsynced. */
  bootId?: string;
  /** Names this commit's marker: synced/<hex>-<token>. */
  token?: string;
}

let boot: string | null | undefined;

/** The kernel's id of the current boot; undefined where /proc does not tell. */
export function currentBootId(): string | undefined {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      boot = null;
    }
  }
  return boot ?? undefined;
}

/** The boot id and token a layer committed unsynced records; undefined: sync before commit. */
export function unsyncedStamp(): { bootId: string; token: string } | undefined {
  const bootId = currentBootId();
  return bootId ? { bootId, token: crypto().randomBytes(8).toString('hex') } : undefined;
}

/** The marker's file name under synced/. */
export function markerName(diffId: string, token: string): string {
  return `${diffId.slice(diffId.indexOf(':') + 1)}-${token}`;
}

/**
 * The state of a layer given its layer.json text (undefined: absent) and whether its marker
 * exists. An unreadable layer.json of an earlier boot is what a crash leaves of an unsynced
 * commit: suspect.
 */
export function stateOf(
  json: string | undefined,
  hasMarker: (token: string) => boolean,
): LayerState {
  if (json === undefined) return 'missing';
  let meta: LayerMeta;
  try {
    meta = JSON.parse(json) as LayerMeta;
  } catch {
    return 'suspect';
  }
  if (typeof meta !== 'object' || meta === null) return 'suspect';
  if (meta.bootId === undefined) return 'sound';
  if (typeof meta.token === 'string' && hasMarker(meta.token)) return 'sound';
  return meta.bootId === currentBootId() ? 'unsynced' : 'suspect';
}

/**
 * Starts `sync -f dir` (syncfs of the filesystem holding dir) in its own session, detached from
 * the command's terminal and output, and has it create `markers` under syncedDir once it has
 * returned. The command does not wait: if the sync never finishes (the machine goes down
 * first), the markers never appear and the layers count as suspect after the reboot, which is
 * the safe side.
 */
export function syncInBackground(dir: string, syncedDir: string, markers: string[]): void {
  if (!markers.length) return;
  // node:child_process rather than execa (src/host/exec.ts): nothing is read from it and its
  // failure is ignored, and importing execa for it made every pull and load that committed a
  // layer ~15 ms slower (medians of 30: pull 179 → 194 ms, load 130 → 144 ms).
  try {
    const child = childProcess().spawn(
      'sh',
      [
        '-c',
        'sync -f -- "$1" && cd -- "$2" && shift 2 && exec touch -- "$@"',
        'sh',
        dir,
        syncedDir,
        ...markers,
      ],
      { detached: true, stdio: 'ignore' },
    );
    // No sh, no sync -f: the layers stay unsynced, which costs a re-import after a reboot only.
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // As above.
  }
}
