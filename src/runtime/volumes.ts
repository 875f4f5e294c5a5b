/**
 * `volume create|ls|inspect|rm|prune`, and the removal of a container's anonymous volumes. A
 * volume holds files of the container's uids, which only the user namespace can delete: it is
 * moved aside under tmp/ first (a later gc finishes it if this process is killed), then removed
 * by the layer writer inside the namespace.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { diskUsage } from '../storage/disk-usage.ts';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError, fromSystemError } from '../errors.ts';
import { randomHex } from '../native/random.ts';
import { LayerWriter } from '../storage/layer-writer.ts';
import { listContainers } from '../storage/containers.ts';
import {
  ensureVolume,
  listVolumes,
  readVolume,
  volumeData,
  volumeDir,
  type VolumeRecord,
} from '../storage/volumes.ts';
import { currentIdMap } from '../userns/idmap.ts';
import { anonymousVolumes } from './mounts.ts';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface VolumeOutcome {
  input: string;
  error?: TsctrError;
}

/** The IDs of the containers (running or not) that mount `name`. */
function users(paths: StatePaths, name: string): string[] {
  return listContainers(paths)
    .filter((c) => (c.mounts ?? []).some((m) => m.Type === 'volume' && m.Source === name))
    .map((c) => c.id);
}

/** Moves each volume's directory aside, then removes them in one layer writer. */
export async function removeVolumeDirs(paths: StatePaths, names: readonly string[]): Promise<void> {
  if (!names.length) return;
  const tmpRoot = join(paths.root, 'tmp');
  mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
  const moved: string[] = [];
  for (const name of names) {
    const tmp = join(tmpRoot, `${process.pid}-vol-${name.slice(0, 32)}`);
    try {
      renameSync(volumeDir(paths, name), tmp);
      moved.push(tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw fromSystemError(`cannot remove volume ${name}`, err);
      }
    }
  }
  if (!moved.length) return;
  const w = await LayerWriter.start(currentIdMap());
  try {
    for (const tmp of moved) await w.remove(tmp);
  } finally {
    await w.close();
  }
}

/** The anonymous volumes of a removed container that no other container mounts. */
export async function removeAnonymousVolumes(
  paths: StatePaths,
  c: Parameters<typeof anonymousVolumes>[0],
): Promise<void> {
  await removeVolumeDirs(
    paths,
    anonymousVolumes(c).filter((v) => users(paths, v).every((id) => id === c.id)),
  );
}

export function createVolume(
  paths: StatePaths,
  name: string | undefined,
  labels: Record<string, string>,
): string {
  const n = name ?? randomHex(32);
  if (!NAME.test(n)) {
    throw new TsctrError(
      `create ${n}: "${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`,
      { hint: 'volume names start with a letter or digit' },
    );
  }
  // docker: creating an existing volume succeeds and changes nothing.
  ensureVolume(paths, n, { Labels: labels, Anonymous: name === undefined });
  return n;
}

export interface VolumeRow {
  Driver: string;
  Name: string;
  Mountpoint: string;
  Scope: string;
  Labels: string;
  Anonymous: boolean;
  InUse: boolean;
}

/** docker's volume filters: dangling (unused), name (substring), label (key or key=value), driver. */
export interface VolumeFilters {
  dangling?: boolean | undefined;
  names?: string[] | undefined;
  labels?: string[] | undefined;
  drivers?: string[] | undefined;
}

export function volumeRows(paths: StatePaths, f: VolumeFilters = {}): VolumeRow[] {
  const used = new Set(
    listContainers(paths).flatMap((c) =>
      (c.mounts ?? []).filter((m) => m.Type === 'volume').map((m) => m.Source),
    ),
  );
  const labelled = (v: VolumeRecord, want: string) => {
    const i = want.indexOf('=');
    return i < 0 ? want in v.Labels : v.Labels[want.slice(0, i)] === want.slice(i + 1);
  };
  return listVolumes(paths)
    .filter((v) => f.dangling === undefined || used.has(v.Name) !== f.dangling)
    .filter((v) => !f.names || f.names.some((n) => v.Name.includes(n)))
    .filter((v) => !f.labels || f.labels.every((l) => labelled(v, l)))
    .filter((v) => !f.drivers || f.drivers.includes(v.Driver))
    .sort((a, b) => a.Name.localeCompare(b.Name))
    .map((v) => ({
      Driver: v.Driver,
      Name: v.Name,
      Mountpoint: volumeData(paths, v.Name),
      Scope: 'local',
      Labels: Object.entries(v.Labels)
        .map(([k, x]) => `${k}=${x}`)
        .join(','),
      Anonymous: !!v.Anonymous,
      InUse: used.has(v.Name),
    }));
}

export function inspectVolumes(paths: StatePaths, names: readonly string[]) {
  const values: ReturnType<typeof inspectVolume>[] = [];
  const errors: TsctrError[] = [];
  for (const n of names) {
    try {
      values.push(inspectVolume(paths, findVolume(paths, n)));
    } catch (err) {
      if (!(err instanceof TsctrError)) throw err;
      errors.push(err);
    }
  }
  return { values, errors };
}

function inspectVolume(paths: StatePaths, v: VolumeRecord) {
  return {
    CreatedAt: v.CreatedAt,
    Driver: v.Driver,
    Labels: v.Labels,
    Mountpoint: volumeData(paths, v.Name),
    Name: v.Name,
    Options: v.Options,
    Scope: 'local',
  };
}

export function findVolume(paths: StatePaths, name: string): VolumeRecord {
  const v = readVolume(paths, name);
  if (!v) {
    throw new TsctrError(`get ${name}: no such volume`, {
      hint: "see 'tsctr volume ls' for the volumes present",
    });
  }
  return v;
}

/** docker volume rm [-f]: a volume a container uses stays (even with -f, as docker). */
export async function removeVolumes(
  paths: StatePaths,
  inputs: readonly string[],
  force: boolean,
): Promise<VolumeOutcome[]> {
  const out: VolumeOutcome[] = [];
  const doomed: string[] = [];
  for (const input of inputs) {
    try {
      if (!readVolume(paths, input)) {
        if (force) {
          out.push({ input });
          continue;
        }
        findVolume(paths, input);
      }
      const by = users(paths, input);
      if (by.length) {
        throw new TsctrError(`remove ${input}: volume is in use - [${by.join(', ')}]`, {
          hint: 'remove the containers that use it first (tsctr rm)',
        });
      }
      doomed.push(input);
      out.push({ input });
    } catch (err) {
      if (!(err instanceof TsctrError)) throw err;
      out.push({ input, error: err });
    }
  }
  await removeVolumeDirs(paths, doomed);
  return out;
}

/** docker volume prune: unused anonymous volumes, or every unused one with `all`. */
export async function pruneVolumes(
  paths: StatePaths,
  all: boolean,
): Promise<{ names: string[]; reclaimed: number }> {
  const names = volumeRows(paths)
    .filter((v) => !v.InUse && (all || v.Anonymous))
    .map((v) => v.Name);
  const reclaimed = names.reduce((sum, n) => sum + diskUsage(volumeDir(paths, n)), 0);
  await removeVolumeDirs(paths, names);
  return { names, reclaimed };
}
