/**
 * A container's cgroup, where the user has a delegated cgroup v2 subtree (./tree.ts): made at
 * each start with the container's limits written into it (./settings.ts), joined by the
 * container's process before it runs anything (the monitor's spec `cgroup`), read by `stats`
 * and `inspect` (OOMKilled), removed with the container. Its path is kept in the container's
 * runtime directory, `cgroup`.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../../config/paths.ts';
import { TsctrError } from '../../errors.ts';
import { containerDirs, type ContainerRecord } from '../../storage/containers.ts';
import { resourcesOf } from '../../storage/resources.ts';
import { readSmall } from '../../userns/read-text.ts';
import { cgroupSettings } from './settings.ts';
import {
  applySettings,
  containerCgroup,
  delegation,
  removeCgroup,
  tsctrParent,
  whyNoControllers,
} from './tree.ts';

/** "MAJ:MIN" of a block device, for io.max. */
export function deviceNumber(path: string): string {
  let rdev: number;
  try {
    const st = statSync(path);
    if (!st.isBlockDevice()) throw new TsctrError(`${path} is not a block device`);
    rdev = st.rdev;
  } catch (err) {
    if (err instanceof TsctrError) throw err;
    throw new TsctrError(`no such device: ${path}`, {
      hint: 'give a block device of this host, for example --device-read-bps /dev/sda:1mb',
    });
  }
  // glibc's gnu_dev_major/minor on the 64-bit dev_t the kernel reports.
  const major = Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

const pathFile = (paths: StatePaths, id: string) => `${containerDirs(paths, id).run}/cgroup`;

/** The controllers a container's cgroup gets here, or why there are none. */
export async function containerControllers(): Promise<
  { controllers: string[] } | { none: string }
> {
  const d = await delegation();
  if ('none' in d) return d;
  const { controllers } = tsctrParent(d.root);
  return controllers.length ? { controllers } : { none: whyNoControllers(d.root) };
}

/**
 * Makes the container's cgroup and writes its limits; undefined where there is no delegated
 * subtree (the container then runs in the CLI's cgroup, and its limits were refused, or ignored
 * by the user's choice, at create). Limits whose controller is missing were likewise settled at
 * create; the default pids limit just does not apply then.
 */
export async function prepareCgroup(
  paths: StatePaths,
  c: ContainerRecord,
): Promise<string | undefined> {
  const d = await delegation();
  if ('none' in d) {
    rmSync(pathFile(paths, c.id), { force: true });
    return undefined;
  }
  const parent = tsctrParent(d.root);
  const settings = cgroupSettings(resourcesOf(c.hostConfig), deviceNumber).filter((s) =>
    parent.controllers.includes(s.controller),
  );
  const dir = containerCgroup(parent.dir, c.id);
  try {
    applySettings(dir, settings);
  } catch (err) {
    removeCgroup(dir); // nothing has joined it yet
    throw err;
  }
  writeFileSync(pathFile(paths, c.id), dir);
  return dir;
}

/** The cgroup recorded for the container, which may be gone (cgroupOf checks). */
export function recordedCgroup(paths: StatePaths, id: string): string | undefined {
  return readSmall(pathFile(paths, id), 'utf8') || undefined;
}

/** The container's cgroup while it has one. */
export function cgroupOf(paths: StatePaths, id: string): string | undefined {
  const dir = recordedCgroup(paths, id);
  return dir && statSync(dir, { throwIfNoEntry: false }) ? dir : undefined;
}

/** Whether the kernel's OOM killer killed a process of the container's current run. */
export function oomKilled(paths: StatePaths, id: string): boolean {
  const dir = cgroupOf(paths, id);
  if (!dir) return false;
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, 'memory.events'), 'latin1'));
    return Number(m?.[1] ?? 0) > 0;
  } catch {
    return false;
  }
}

/** Removes the container's cgroup, for `rm`. */
export function dropCgroup(paths: StatePaths, id: string): void {
  const dir = cgroupOf(paths, id);
  if (dir) removeCgroup(dir);
}
