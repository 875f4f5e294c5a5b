/**
 * Rows for `ps`: one per container with docker's template fields (.ID, .Image, .Command,
 * .CreatedAt, .RunningFor, .Status, .State, .Ports, .Names, .Labels, .Size, .Mounts, .Networks).
 */
import type { StatePaths } from '../config/paths.ts';
import { isAlive, listContainers, readExit, readState } from '../storage/containers.ts';
import { goTimeString } from '../format/units.ts';

export interface ContainerRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Status: string;
  State: string;
  Ports: string;
  Names: string;
  Labels: string;
  Mounts: string;
  Networks: string;
  Size: string;
}

export interface PsOptions {
  all: boolean;
  noTrunc: boolean;
  now?: number;
  /** docker's units.HumanDuration. */
  human: (ms: number) => string;
}

export function containerRows(paths: StatePaths, opts: PsOptions): ContainerRow[] {
  const now = opts.now ?? Date.now();
  const rows: (ContainerRow & { created: number })[] = [];
  for (const c of listContainers(paths)) {
    const state = readState(paths, c.id);
    const exit = readExit(paths, c.id);
    let status: string;
    let s: string;
    if (exit) {
      s = 'exited';
      const code = exit.signal ? 128 + exit.signal : exit.code;
      status = `Exited (${code}) ${opts.human(now - Date.parse(exit.finishedAt))} ago`;
    } else if (state && isAlive(state.pid)) {
      s = 'running';
      status = `Up ${opts.human(now - Date.parse(state.startedAt))}`;
    } else {
      s = 'created';
      status = 'Created';
    }
    if (!opts.all && s !== 'running') continue;
    const cmd = [c.path, ...c.args].join(' ');
    const quoted = opts.noTrunc
      ? `"${cmd}"`
      : `"${cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd}"`;
    rows.push({
      ID: opts.noTrunc ? c.id : c.id.slice(0, 12),
      Image: c.image,
      Command: quoted,
      CreatedAt: goTimeString(c.created),
      RunningFor: `${opts.human(now - Date.parse(c.created))} ago`,
      Status: status,
      State: s,
      Ports: '',
      Names: c.name,
      Labels: '',
      Mounts: '',
      Networks: c.hostConfig.NetworkMode,
      Size: '',
      created: Date.parse(c.created),
    });
  }
  // Newest first, as docker lists them.
  return rows.sort((a, b) => b.created - a.created).map(({ created: _c, ...r }) => r);
}
