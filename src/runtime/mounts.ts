/**
 * A container's own mounts: `-v`, `--mount`, `--tmpfs` and `--volumes-from`, read with docker's
 * rules into records kept in config.json, and turned into spec mounts at every start. Named
 * volumes are made on first use; an anonymous one (`-v /data`) gets a random name and goes with
 * its container on `rm -v` or `--rm`.
 */
import { mkdirSync, statSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { randomHex } from '../native/random.ts';
import type { ContainerRecord, MountRecord } from '../storage/containers.ts';
import { ensureVolume, volumeData } from '../storage/volumes.ts';
import { MS, type Mount } from './spec.ts';

export type { MountRecord };

export interface MountFlags {
  volume?: string[] | undefined;
  mount?: string[] | undefined;
  tmpfs?: string[] | undefined;
  volumesFrom?: string[] | undefined;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy']);
const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

function invalid(spec: string, why: string): TsctrError {
  return new TsctrError(`invalid volume specification: '${spec}': ${why}`, {
    hint: 'the forms are -v /host/path:/ctr/path[:ro], -v name:/ctr/path and -v /ctr/path',
  });
}

function destination(spec: string, dst: string): string {
  if (!dst.startsWith('/'))
    throw invalid(spec, `invalid mount path: '${dst}' mount path must be absolute`);
  const clean = posix.normalize(dst);
  if (clean === '/') throw invalid(spec, 'invalid mount path: cannot mount on /');
  return clean.replace(/\/$/, '');
}

/** docker's `-v`: [SRC:]DST[:MODE], where SRC is a path (bind) or a name (volume). */
export function parseVolumeFlag(spec: string, cwd = process.cwd()): MountRecord {
  const parts = spec.split(':');
  let src = '';
  let dst: string;
  let mode = '';
  if (parts.length === 1) dst = parts[0]!;
  else if (parts.length === 2) {
    // `/data:ro` is an anonymous volume with a mode; `src:/dst` a bind or a named volume.
    if (
      parts[1]!.split(',').every((m) => MODES.has(m) || PROPAGATION.has(m)) &&
      parts[0]!.startsWith('/')
    ) {
      dst = parts[0]!;
      mode = parts[1]!;
    } else [src, dst] = parts as [string, string];
  } else if (parts.length === 3) [src, dst, mode] = parts as [string, string, string];
  else throw invalid(spec, 'too many colons');
  const opts = mode ? mode.split(',') : [];
  for (const o of opts) {
    if (!MODES.has(o) && !PROPAGATION.has(o)) throw invalid(spec, `invalid mode: ${o}`);
  }
  const rw = !opts.includes('ro');
  const target = destination(spec, dst);
  if (!src) {
    return {
      Type: 'volume',
      Source: '',
      Destination: target,
      RW: rw,
      Mode: mode,
      Anonymous: true,
      NoCopy: opts.includes('nocopy'),
    };
  }
  if (src.startsWith('/') || src.startsWith('.')) {
    return {
      Type: 'bind',
      Source: resolve(cwd, src),
      Destination: target,
      RW: rw,
      Mode: mode,
      CreateSource: true,
    };
  }
  if (!VOLUME_NAME.test(src)) {
    throw invalid(
      spec,
      `"${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`,
    );
  }
  return {
    Type: 'volume',
    Source: src,
    Destination: target,
    RW: rw,
    Mode: mode,
    NoCopy: opts.includes('nocopy'),
  };
}

/** docker's `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,…]`. */
export function parseMountFlag(spec: string, cwd = process.cwd()): MountRecord {
  const kv = new Map<string, string>();
  for (const field of spec.split(',')) {
    const i = field.indexOf('=');
    const key = (i < 0 ? field : field.slice(0, i)).trim().toLowerCase();
    kv.set(key, i < 0 ? 'true' : field.slice(i + 1));
  }
  const bad = (why: string) =>
    new TsctrError(`invalid argument "${spec}" for "--mount" flag: ${why}`, {
      hint: 'for example --mount type=bind,source=/srv,target=/srv,readonly',
    });
  const type = kv.get('type') ?? 'volume';
  const src = kv.get('source') ?? kv.get('src') ?? '';
  const dst = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (!dst) throw bad('target is required');
  const flag = (v: string | undefined) =>
    v !== undefined && ['true', '1', ''].includes(v.toLowerCase());
  const ro = flag(kv.get('readonly')) || flag(kv.get('ro'));
  for (const k of kv.keys()) {
    const known = [
      'type',
      'source',
      'src',
      'target',
      'destination',
      'dst',
      'readonly',
      'ro',
      'bind-propagation',
      'consistency',
      'volume-nocopy',
      'tmpfs-size',
      'tmpfs-mode',
    ];
    if (!known.includes(k)) throw bad(`unexpected key '${k}'`);
  }
  const target = destination(spec, dst);
  if (type === 'bind') {
    if (!src) throw bad('source is required when specifying bind mount');
    const source = resolve(cwd, src);
    try {
      statSync(source);
    } catch {
      throw new TsctrError(
        `invalid mount config for type "bind": bind source path does not exist: ${source}`,
        {
          hint: 'create it first (--mount does not, unlike -v)',
        },
      );
    }
    return { Type: 'bind', Source: source, Destination: target, RW: !ro, Mode: ro ? 'ro' : '' };
  }
  if (type === 'volume') {
    if (src && !VOLUME_NAME.test(src)) throw bad(`invalid volume name "${src}"`);
    return {
      Type: 'volume',
      Source: src,
      Destination: target,
      RW: !ro,
      Mode: ro ? 'ro' : '',
      NoCopy: flag(kv.get('volume-nocopy')),
      ...(src ? {} : { Anonymous: true }),
    };
  }
  if (type === 'tmpfs') {
    if (src) throw bad('source is not allowed for tmpfs mounts');
    const opts: string[] = [];
    const size = kv.get('tmpfs-size');
    if (size) opts.push(`size=${size}`);
    const mode = kv.get('tmpfs-mode');
    if (mode) opts.push(`mode=${mode}`);
    if (ro) opts.push('ro');
    return {
      Type: 'tmpfs',
      Source: '',
      Destination: target,
      RW: !ro,
      Mode: '',
      Options: opts.join(','),
    };
  }
  throw bad(`unsupported mount type "${type}"`);
}

/** docker's `--tmpfs /path[:options]`. */
export function parseTmpfsFlag(spec: string): MountRecord {
  const i = spec.indexOf(':');
  const dst = i < 0 ? spec : spec.slice(0, i);
  const opts = i < 0 ? '' : spec.slice(i + 1);
  return {
    Type: 'tmpfs',
    Source: '',
    Destination: destination(spec, dst),
    RW: !opts.split(',').includes('ro'),
    Mode: '',
    Options: opts,
  };
}

/**
 * Every mount the flags ask for, volumes made, checked for two at one destination. `lookup`
 * finds a container for --volumes-from.
 */
export function containerMounts(
  paths: StatePaths,
  flags: MountFlags,
  lookup: (name: string) => ContainerRecord | undefined,
): MountRecord[] {
  const out: MountRecord[] = [];
  for (const ref of flags.volumesFrom ?? []) {
    const [name, mode] = ref.split(':') as [string, string | undefined];
    if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
      throw new TsctrError(`invalid mode for volumes-from: ${mode}`, { hint: 'use ro or rw' });
    }
    const c = lookup(name);
    if (!c) throw new TsctrError(`No such container: ${name}`);
    for (const m of c.mounts ?? []) {
      if (m.Type === 'tmpfs') continue;
      out.push({ ...m, RW: mode ? mode === 'rw' : m.RW, Anonymous: false, Mode: mode ?? m.Mode });
    }
  }
  out.push(...(flags.volume ?? []).map((v) => parseVolumeFlag(v)));
  out.push(...(flags.mount ?? []).map((v) => parseMountFlag(v)));
  out.push(...(flags.tmpfs ?? []).map(parseTmpfsFlag));
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.Destination)) throw new TsctrError(`Duplicate mount point: ${m.Destination}`);
    seen.add(m.Destination);
  }
  for (const m of out) {
    if (m.Type === 'volume') {
      if (!m.Source) m.Source = randomHex(32);
      ensureVolume(paths, m.Source, m.Anonymous ? { Anonymous: true } : {});
    } else if (m.Type === 'bind' && m.CreateSource) {
      // `-v` makes a missing host directory, as docker's does.
      try {
        statSync(m.Source);
      } catch {
        mkdirSync(m.Source, { recursive: true, mode: 0o755 });
      }
    }
  }
  return out;
}

const TMPFS_FLAGS: Record<string, [number, boolean]> = {
  ro: [MS.RDONLY, true],
  rw: [MS.RDONLY, false],
  nosuid: [MS.NOSUID, true],
  suid: [MS.NOSUID, false],
  nodev: [MS.NODEV, true],
  dev: [MS.NODEV, false],
  noexec: [MS.NOEXEC, true],
  exec: [MS.NOEXEC, false],
};

/** The spec mounts of a container's mount records, parents before what is mounted in them. */
export function specMounts(paths: StatePaths, mounts: readonly MountRecord[]): Mount[] {
  const sorted = [...mounts].sort(
    (a, b) => a.Destination.split('/').length - b.Destination.split('/').length,
  );
  return sorted.map((m): Mount => {
    if (m.Type === 'tmpfs') {
      // docker's defaults, which the options may undo: nosuid, nodev, noexec, mode 1777.
      let flags: number = MS.NOSUID | MS.NODEV | MS.NOEXEC;
      const data: string[] = [];
      for (const o of (m.Options ?? '').split(',').filter(Boolean)) {
        const f = TMPFS_FLAGS[o];
        if (f) flags = f[1] ? flags | f[0] : flags & ~f[0];
        else data.push(o);
      }
      if (!data.some((d) => d.startsWith('mode='))) data.push('mode=1777');
      return {
        source: 'tmpfs',
        target: m.Destination,
        fstype: 'tmpfs',
        flags,
        data: data.join(','),
        make: 'dir',
      };
    }
    const source = m.Type === 'volume' ? volumeData(paths, m.Source) : m.Source;
    let make: Mount['make'] = 'dir';
    if (m.Type === 'volume') make = m.NoCopy ? 'dir' : 'seed';
    else {
      let st;
      try {
        st = statSync(source);
      } catch {
        throw new TsctrError(
          `invalid mount config for type "bind": bind source path does not exist: ${source}`,
          {
            hint: 'the host path was removed after the container was created',
          },
        );
      }
      if (!st.isDirectory()) make = 'file';
    }
    return {
      source,
      target: m.Destination,
      fstype: '',
      flags: MS.BIND | MS.REC | (m.RW ? 0 : MS.RDONLY),
      data: '',
      make,
    };
  });
}

/** The container's anonymous volumes: they go with it (`rm -v`, `--rm`). */
export function anonymousVolumes(c: ContainerRecord): string[] {
  return (c.mounts ?? []).filter((m) => m.Type === 'volume' && m.Anonymous).map((m) => m.Source);
}

/** inspect's Mounts, as docker prints them. */
export function inspectMounts(paths: StatePaths, mounts: readonly MountRecord[] | undefined) {
  return (mounts ?? []).map((m) =>
    m.Type === 'volume'
      ? {
          Type: 'volume',
          Name: m.Source,
          Source: volumeData(paths, m.Source),
          Destination: m.Destination,
          Driver: 'local',
          Mode: m.Mode,
          RW: m.RW,
          Propagation: '',
        }
      : {
          Type: m.Type,
          Source: m.Source,
          Destination: m.Destination,
          Mode: m.Mode,
          RW: m.RW,
          Propagation: m.Type === 'bind' ? 'rprivate' : '',
        },
  );
}
