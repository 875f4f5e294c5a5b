/**
 * The single binary's own files (command bundles, oclif, the native addon and helpers) travel
 * inside it as SEA assets and are written out once per build to
 * `$XDG_CACHE_HOME/tsctr/app/<version>-<hash>/`, where the addon can be dlopen'ed and the helpers
 * exec'ed. The directory name carries the hash of the assets' index, so each build has its own:
 * a container's monitor keeps running from its build's directory after the binary is replaced.
 *
 * Safe against concurrent first runs and crashes: each run that finds no directory writes a
 * private temporary one (every file checked against its sha256 in the index, then fsync'ed) and
 * renames it into place; a rename that loses the race leaves the winner's copy. A directory
 * exists under its final name only once it is complete. Directories of other builds are
 * removed when no process of the user still runs or maps a file from them.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { TsctrError } from '../errors.ts';

export interface AssetIndex {
  version: string;
  /** sha256 over the files' names, modes and digests. */
  hash: string;
  files: { name: string; sha256: string; mode: number }[];
}

/** The index the build embedded as the asset `index.json`. */
function assetIndex(): AssetIndex {
  return JSON.parse(process.getBuiltinModule('node:sea').getAsset('index.json', 'utf8') as string);
}

export function cacheRoot(env = process.env): string {
  const home =
    env.XDG_CACHE_HOME || `${env.HOME || process.getBuiltinModule('node:os').homedir()}/.cache`;
  return `${home}/tsctr/app`;
}

/** Where this build's files are, whether or not they have been written yet. */
export function assetDir(): string {
  const index = assetIndex();
  return `${cacheRoot()}/${index.version}-${index.hash.slice(0, 16)}`;
}

let ready = false;

/** Writes this build's files out unless they are there, and returns their directory. */
export function extractAssets(dir: string): string {
  if (ready || existsSync(dir)) {
    ready = true;
    return dir;
  }
  const sea = process.getBuiltinModule('node:sea');
  // Loaded here, not at the top: node:crypto costs every start-up of the binary ~5 ms.
  const { createHash, randomBytes } = process.getBuiltinModule('node:crypto');
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const dirs = new Set<string>([tmp]);
    mkdirSync(tmp, { mode: 0o700 });
    for (const file of assetIndex().files) {
      const data = Buffer.from(sea.getRawAsset(file.name) as ArrayBuffer);
      if (createHash('sha256').update(data).digest('hex') !== file.sha256) {
        throw new TsctrError(
          `the tsctr binary is damaged: its ${file.name} does not match its sha256`,
          {
            hint: 'install the binary again',
          },
        );
      }
      const path = `${tmp}/${file.name}`;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      dirs.add(dirname(path));
      writeDurably(path, data, file.mode);
    }
    for (const d of dirs) fsyncPath(d);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another first run got there first with the same files.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
    fsyncPath(parent);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  ready = true;
  pruneOtherBuilds(parent, dir);
  return dir;
}

function writeDurably(path: string, data: Buffer, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes the directories of other builds that none of the user's processes runs from or maps
 * (a container's monitor, a layer writer, a CLI that loaded the addon). Best effort: a build
 * still in use is kept until a later first run finds it unused.
 */
export function pruneOtherBuilds(parent: string, keep: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent).map((e) => `${parent}/${e}`);
  } catch {
    return;
  }
  const candidates = entries.filter(
    (e) => e !== keep && /\/[^/]+-[0-9a-f]{16}(\.tmp-\d+-[0-9a-f]+)?$/.test(e),
  );
  if (!candidates.length) return;
  const used = pathsInUse();
  for (const dir of candidates) {
    const tmp = /\.tmp-(\d+)-/.exec(dir);
    // A temporary directory belongs to a first run that may still be writing it.
    if (tmp && existsSync(`/proc/${tmp[1]}`)) continue;
    if ([...used].some((p) => p.startsWith(`${dir}/`))) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Executables and mapped files of the user's processes. */
function pathsInUse(): Set<string> {
  const used = new Set<string>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      used.add(readlinkSync(`/proc/${pid}/exe`));
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const slash = line.indexOf('/');
        if (slash > 0) used.add(line.slice(slash));
      }
    } catch {
      // Another user's process, or one that just exited.
    }
  }
  return used;
}
