/**
 * Starting a helper executable as root inside the user's user namespace (plus any other new
 * namespaces asked for). The native addon clones the child held before exec; this module writes
 * its id maps (policy: ./idmap.ts), then lets it exec. Protocol: native/addon/spawn.h.
 */
import { closeSync } from 'node:fs';
import { native } from '../native/loader.ts';
import { TsctrError, errnoName } from '../errors.ts';
import { writeIdMaps, type IdMap } from './idmap.ts';

export interface UsernsSpawn {
  file: string;
  argv: string[];
  env: string[];
  /** Extra CLONE_NEW* flags besides CLONE_NEWUSER. */
  extraFlags?: number;
  /** Parent fds that become the child's 0, 1, 2, 3… */
  stdio: number[];
  setsid?: boolean;
  idmap: IdMap;
}

export async function spawnInUserNamespace(opts: UsernsSpawn): Promise<number> {
  const n = native();
  let child;
  try {
    child = n.spawnHeld({
      file: opts.file,
      argv: opts.argv,
      env: opts.env,
      cloneFlags: n.constants.CLONE_NEWUSER | (opts.extraFlags ?? 0),
      stdio: opts.stdio,
      setsid: opts.setsid ?? false,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TsctrError(`cannot create a user namespace: ${e.message}`, {
      syscall: e.syscall,
      errno: e.code,
      cause: err,
      hint:
        e.code === 'ENOSPC'
          ? 'raise /proc/sys/user/max_user_namespaces'
          : 'user namespaces may be disabled for unprivileged users (kernel.unprivileged_userns_clone, AppArmor restrict_unprivileged_userns); see `tsctr info`',
    });
  }
  try {
    await writeIdMaps(child.pid, opts.idmap);
  } catch (err) {
    closeSync(child.goFd); // the held child reads EOF and exits
    closeSync(child.errFd);
    n.waitpid(child.pid, true);
    throw err;
  }
  return release(child, opts.file);
}

/** Starts a helper in tsctr's own namespaces (it joins others itself, as `exec` does). */
export function spawnHelper(opts: Omit<UsernsSpawn, 'idmap' | 'extraFlags'>): number {
  const n = native();
  const child = n.spawnHeld({
    file: opts.file,
    argv: opts.argv,
    env: opts.env,
    cloneFlags: 0,
    stdio: opts.stdio,
    setsid: opts.setsid ?? false,
  });
  return release(child, opts.file);
}

/** Lets a held child exec; its pid, or an error naming what could not be executed. */
function release(child: { pid: number; goFd: number; errFd: number }, file: string): number {
  const n = native();
  const execErrno = n.release(child.goFd, child.errFd);
  if (execErrno !== 0) {
    n.waitpid(child.pid, true);
    throw new TsctrError(`cannot execute ${file}: ${errnoName(execErrno)}`, {
      syscall: 'execve',
      errno: errnoName(execErrno),
      path: file,
      hint: 'rebuild tsctr with `npm run build`',
    });
  }
  return child.pid;
}
