/**
 * Rows for `ps`: one per container with docker's template fields (.ID, .Image, .Command,
 * .CreatedAt, .RunningFor, .Status, .State, .Ports, .Names, .Labels, .Size, .Mounts, .Networks).
 */
import { displayPorts } from '../netns/ports.ts';
import type { StatePaths } from '../config/paths.ts';
import { isPaused } from './processes.ts';
import { TsctrError } from '../errors.ts';
import {
  containerDirs,
  listContainers,
  readExit,
  readState,
  reconcile,
  sameProcess,
  type ContainerRecord,
} from '../storage/containers.ts';
import { goTimeString } from '../format/units.ts';
import { join } from 'node:path';
import { ImageStore } from '../storage/store.ts';
import { fileBytes } from '../storage/disk-usage.ts';

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
  /** `-n N` (`-l`: 1): the N newest containers, whatever their state. */
  last?: number | undefined;
  /** `-f`: id (prefix), name (regular expression), status, exited (code); validated keys. */
  filters?: ReadonlyMap<string, readonly string[]> | undefined;
  now?: number;
  /** docker's units.HumanDuration. */
  human: (ms: number) => string;
  /** The ID of the image an input names (images/resolve.ts), for the ancestor filter. */
  imageId?: ((input: string) => string | undefined) | undefined;
  /** `-s` (or a format with .Size): the writable layer's size and the virtual one, in these units. */
  size?: ((bytes: number) => string) | undefined;
}

export function containerRows(paths: StatePaths, opts: PsOptions): ContainerRow[] {
  const now = opts.now ?? Date.now();
  const rows: (ContainerRow & { created: number })[] = [];
  const all = listContainers(paths);
  const f0 = opts.filters;
  const ancestors = f0?.get('ancestor')?.length
    ? new Set(
        f0
          .get('ancestor')!
          .map((v) => opts.imageId?.(v))
          .filter((id) => id !== undefined),
      )
    : undefined;
  // before= and since=: containers created before, or after, the one named (dockerd's).
  const created = (key: string): number[] =>
    (f0?.get(key) ?? []).map((v) => {
      const ref =
        all.find((c) => c.id === v || c.name === v.replace(/^\//, '')) ??
        all.find((c) => c.id.startsWith(v));
      if (!ref) throw new TsctrError(`No such container: ${v}`, { exitCode: 1 });
      return Date.parse(ref.created);
    });
  const before = created('before');
  const since = created('since');
  for (const c of all) {
    const t = Date.parse(c.created);
    if (before.some((b) => t >= b) || since.some((x) => t <= x)) continue;
    // ancestor=: the image the value names (as every command finds one), or, for an image
    // removed since, the name the container was made from as it was typed.
    if (ancestors && !ancestors.has(c.imageId) && !f0!.get('ancestor')!.includes(c.image)) {
      continue;
    }
    if (
      f0?.get('volume')?.length &&
      !f0
        .get('volume')!
        .some((v) => (c.mounts ?? []).some((m) => m.Destination === v || m.Source === v))
    ) {
      continue;
    }
    // network=: a user network's name or id, or a mode (none, host, …) the container has.
    const nets = f0?.get('network');
    if (
      nets?.length &&
      !nets.some((n) =>
        networksOf(c).some((x) => x === n || (n.length >= 2 && x.length === 64 && x.startsWith(n))),
      )
    ) {
      continue;
    }
    reconcile(paths, c.id);
    const state = readState(paths, c.id);
    const exit = readExit(paths, c.id);
    let status: string;
    let s: string;
    if (exit) {
      s = 'exited';
      const code = exit.signal ? 128 + exit.signal : exit.code;
      status = `Exited (${code}) ${opts.human(now - Date.parse(exit.finishedAt))} ago`;
    } else if (state && sameProcess(state.pid, state.pidStart)) {
      const paused = isPaused(paths, c.id);
      s = paused ? 'paused' : 'running';
      status = `Up ${opts.human(now - Date.parse(state.startedAt))}${paused ? ' (Paused)' : ''}`;
    } else if (state?.restarting) {
      s = 'restarting';
      const r = state.restarting;
      status = `Restarting (${r.signal ? 128 + r.signal : r.code}) ${opts.human(now - Date.parse(r.since))} ago`;
    } else {
      s = 'created';
      status = 'Created';
    }
    const f = opts.filters;
    // As dockerd: a status or exited filter, or -n, looks at every container.
    const all =
      opts.all ||
      !!f?.has('status') ||
      !!f?.has('exited') ||
      !!f?.has('restart-policy') ||
      opts.last !== undefined;
    if (!all && s !== 'running') continue;
    if (f && !matches(f, c, s, exit && (exit.signal ? 128 + exit.signal : exit.code))) continue;
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
      // docker clears a container's ports when it stops.
      Ports:
        s === 'running' || s === 'paused'
          ? displayPorts(c.ports ?? [], Object.keys(c.config.ExposedPorts ?? {}))
          : '',
      Names: c.name,
      Labels: Object.entries(c.config.Labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      Mounts: '',
      // docker: the networks' names, comma-separated; a shared network's is empty.
      Networks: c.networks
        ? Object.keys(c.networks).join(',')
        : c.hostConfig.NetworkMode.startsWith('container:')
          ? ''
          : c.hostConfig.NetworkMode,
      Size: opts.size ? sizeOf(paths, c, opts.size) : '',
      created: Date.parse(c.created),
    });
  }
  // Newest first, as docker lists them.
  rows.sort((a, b) => b.created - a.created);
  const shown = opts.last !== undefined && opts.last > 0 ? rows.slice(0, opts.last) : rows;
  return shown.map(({ created: _c, ...r }) => r);
}

const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** dockerd's container filters: values of one key are alternatives, keys must all match. */
function matches(
  f: ReadonlyMap<string, readonly string[]>,
  c: {
    id: string;
    name: string;
    hostConfig: { RestartPolicy?: { Name: string } };
    config: { Labels?: Record<string, string> };
  },
  state: string,
  code: number | undefined,
): boolean {
  const any = (key: string, test: (v: string) => boolean) => {
    const values = f.get(key);
    return !values?.length || values.some(test);
  };
  for (const v of f.get('status') ?? []) {
    if (!STATES.includes(v)) throw new TsctrError(`Unrecognised filter value for status: ${v}`);
  }
  for (const v of f.get('exited') ?? []) {
    if (!/^-?\d+$/.test(v)) throw new TsctrError(`invalid filter 'exited=${v}'`);
  }
  return (
    any('id', (v) => c.id.startsWith(v)) &&
    any('name', (v) => {
      try {
        return new RegExp(v).test(c.name);
      } catch {
        throw new TsctrError(`invalid filter 'name=${v}': not a regular expression`);
      }
    }) &&
    any('status', (v) => v === state) &&
    any('exited', (v) => code !== undefined && Number(v) === code) &&
    // label=KEY or label=KEY=VALUE: all of them must hold.
    (f.get('label') ?? []).every((v) => {
      const i = v.indexOf('=');
      const labels = c.config.Labels ?? {};
      return i < 0 ? v in labels : labels[v.slice(0, i)] === v.slice(i + 1);
    }) &&
    // podman's filter: what a boot-time unit starts (docs/ARCHITECTURE.md, "After a reboot").
    any('restart-policy', (v) => (c.hostConfig.RestartPolicy?.Name ?? 'no') === v)
  );
}

let imageSizes: Map<string, number> | undefined;

/** docker's `2B (virtual 4.26MB)`: the writable layer's files, and those plus the image's. */
function sizeOf(
  paths: StatePaths,
  c: { id: string; imageId: string },
  human: (bytes: number) => string,
): string {
  imageSizes ??= new Map(new ImageStore(paths).listImages().map((i) => [i.id, i.size]));
  const rw = fileBytes(join(containerDirs(paths, c.id).storage, 'upper'));
  return `${human(rw)} (virtual ${human(rw + (imageSizes.get(c.imageId) ?? 0))})`;
}

/** The names and ids a network filter matches the container by. */
function networksOf(c: ContainerRecord): string[] {
  if (!c.networks) return [c.hostConfig.NetworkMode];
  return Object.entries(c.networks).flatMap(([name, w]) => [name, w.NetworkID]);
}
