/**
 * Volumes as files: <root>/volumes/<name>/volume.json (the record) and _data/ (what containers
 * mount). A volume is made on first use or by `volume create`; the record is written last (to a
 * temp file, then renamed), so a half-made volume has no record and `volume ls` skips it.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';

export interface VolumeRecord {
  Name: string;
  CreatedAt: string;
  Driver: 'local';
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** Made for one container's `-v /path` (docker's anonymous volume): `rm -v` removes it. */
  Anonymous?: boolean;
}

export function volumesDir(paths: StatePaths): string {
  return join(paths.root, 'volumes');
}

export function volumeDir(paths: StatePaths, name: string): string {
  return join(volumesDir(paths), name);
}

/** What containers mount. */
export function volumeData(paths: StatePaths, name: string): string {
  return join(volumeDir(paths, name), '_data');
}

export function readVolume(paths: StatePaths, name: string): VolumeRecord | undefined {
  try {
    return JSON.parse(
      readFileSync(join(volumeDir(paths, name), 'volume.json'), 'utf8'),
    ) as VolumeRecord;
  } catch {
    return undefined;
  }
}

export function listVolumes(paths: StatePaths): VolumeRecord[] {
  let names: string[];
  try {
    names = readdirSync(volumesDir(paths));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const v = readVolume(paths, n);
    return v ? [v] : [];
  });
}

/**
 * The volume `name`, made when missing (0755 directory, as docker's `_data`). Returns the record
 * and whether it was made now.
 */
export function ensureVolume(
  paths: StatePaths,
  name: string,
  extra: Partial<Pick<VolumeRecord, 'Labels' | 'Options' | 'Anonymous'>> = {},
): { volume: VolumeRecord; created: boolean } {
  const found = readVolume(paths, name);
  if (found) return { volume: found, created: false };
  const dir = volumeDir(paths, name);
  mkdirSync(join(dir, '_data'), { recursive: true, mode: 0o755 });
  const volume: VolumeRecord = {
    Name: name,
    CreatedAt: new Date().toISOString(),
    Driver: 'local',
    Labels: extra.Labels ?? {},
    Options: extra.Options ?? {},
    ...(extra.Anonymous ? { Anonymous: true } : {}),
  };
  const tmp = join(dir, `volume.json.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(volume, null, 2));
  renameSync(tmp, join(dir, 'volume.json'));
  return { volume, created: true };
}

/** The volume's directory exists (with or without a record): a half-made one counts. */
export function volumeExists(paths: StatePaths, name: string): boolean {
  try {
    return statSync(volumeDir(paths, name)).isDirectory();
  } catch {
    return false;
  }
}
