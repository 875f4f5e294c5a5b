/**
 * Rewriting a credential file (docker's config.json or a containers auth.json) the way both
 * tools expect: everything the file holds besides the edited entries is kept, and the new
 * contents replace the old in one rename, so a concurrent reader sees the old file or the new
 * one, never half of one.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { lstat, mkdir, open, readlink, realpath, rename, stat, unlink } from 'node:fs/promises';
import { TsctrError, fromSystemError } from '../errors.ts';
import {
  authFilePath,
  ownedOrAbsent,
  parseAuthFile,
  readAuthFile,
  runtimeDir,
  type AuthDoc,
  type Env,
} from './auth-file.ts';

/**
 * Prepares `path` for writing: the runtime directory must exist when named by
 * XDG_RUNTIME_DIR (podman refuses to invent it), and a /tmp fallback must be the user's own.
 */
export async function prepareWrite(path: string, env: Env): Promise<void> {
  if (!env.REGISTRY_AUTH_FILE && path === authFilePath(env)) {
    const rt = runtimeDir(env);
    if (!rt.fallback) {
      try {
        await stat(rt.dir);
      } catch (err) {
        throw new TsctrError(`"${rt.dir}" directory set by $XDG_RUNTIME_DIR does not exist`, {
          hint: 'either create the directory or unset XDG_RUNTIME_DIR',
          path: rt.dir,
          cause: err,
        });
      }
    } else {
      try {
        await mkdir(rt.dir, { recursive: true, mode: 0o700 });
      } catch (err) {
        throw fromSystemError('cannot write credentials', err, 'set XDG_RUNTIME_DIR');
      }
      if (!(await ownedOrAbsent(rt.dir))) {
        throw new TsctrError(`${rt.dir} belongs to another user`, {
          hint: 'set XDG_RUNTIME_DIR to a directory of your own, or pass --authfile',
          path: rt.dir,
        });
      }
    }
  }
}

/**
 * Reads `path` (absent = empty), lets `edit` change it and writes it back when `edit` says so:
 * a temp file (0600) in the same directory (created 0700), then rename, so a reader never sees
 * half a file. A file that does not parse is refused, not overwritten.
 */
export async function editAuthFile<T>(
  path: string,
  edit: (
    file: AuthDoc,
  ) => { changed: boolean; result: T } | Promise<{ changed: boolean; result: T }>,
): Promise<T> {
  const ref = { path, legacy: false };
  const file = (await readAuthFile(ref)) ?? parseAuthFile(ref, '');
  const { changed, result } = await edit(file);
  if (changed) {
    file.doc.auths = file.auths;
    await writeAtomically(path, `${JSON.stringify(file.doc, null, '\t')}\n`);
  }
  return result;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  // Write through a symlink as docker does, so a linked config.json stays a link.
  const target = await resolveLink(path);
  const dir = dirname(target);
  const what = 'cannot write credentials';
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fromSystemError(what, err, `check that ${dir} can be created`);
  }
  // 'wx' below refuses an existing name, so the suffix only has to differ between processes.
  const suffix = `${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const temp = join(dir, `.${basename(target)}.${suffix}`);
  try {
    const fh = await open(temp, 'wx', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw fromSystemError(what, err, `check the permissions of ${dir}`);
  }
}

async function resolveLink(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    // Absent, or a dangling link: write where the link points.
    try {
      if ((await lstat(path)).isSymbolicLink()) return resolve(dirname(path), await readlink(path));
    } catch {
      // absent
    }
    return path;
  }
}
