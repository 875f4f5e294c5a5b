/**
 * A cgroup subtree delegated by the user's systemd manager. On a systemd host a login's processes
 * sit in its session scope (/user.slice/user-UID.slice/session-N.scope), which belongs to root;
 * the user's own manager, user@UID.service, is delegated to that manager, not to its other
 * processes. So, as podman does, tsctr asks the manager for a scope of its own with Delegate=yes:
 * `systemd-run --user --scope --property=Delegate=yes` around a holder (`sleep infinity`), once
 * per login. The user manager cannot move a process out of a root-owned session scope itself;
 * it asks PID 1 to (AttachProcessesToUnit), which is why this works from an ssh login too.
 *
 * Once the holder runs in the scope it is moved into a leaf, `holder`, so that the scope holds
 * no processes itself and can pass its controllers down (cgroup v2's no-internal-processes
 * rule); containers then get their cgroups below it like anywhere else (./tree.ts). The scope
 * lives until the holder is killed and the last container has ended, or until the user's last
 * login ends, when systemd removes it. Which scope is tsctr's is kept in
 * $XDG_RUNTIME_DIR/tsctr/cgroup-scope, a directory that lives exactly as long as the manager.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupHost } from '../../host/cgroups.ts';
import { lastLines, programError, runProgram, startDetached } from '../../host/exec.ts';
import { FileLock } from '../../storage/lock.ts';
import { readTextOr as read } from '../../userns/read-text.ts';

export const SCOPE_UNIT = 'tsctr.scope';
/** TCG in the VM tier takes 1.5 s; a loaded laptop far less. */
const READY_WITHIN_MS = 20_000;

/**
 * The user's runtime directory when a systemd user manager serves it: systemd booted the host
 * (/run/systemd/system, as sd_booted(3) checks) and the manager's private socket is there.
 */
export function systemdUserManager(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.XDG_RUNTIME_DIR;
  if (!dir || !existsSync('/run/systemd/system')) return undefined;
  return existsSync(join(dir, 'systemd/private')) ? dir : undefined;
}

const recordFile = (runtimeDir: string) => join(runtimeDir, 'tsctr', 'cgroup-scope');

/** tsctr's scope made earlier in this login, if it still exists (it has processes). */
export function knownScope(runtimeDir: string): string | undefined {
  const dir = read(recordFile(runtimeDir)).trim();
  if (!dir) return undefined;
  return /^populated 1$/m.test(read(join(dir, 'cgroup.events'))) ? dir : undefined;
}

/** A process's cgroup v2 path, '' once it is gone. */
const cgroupOfPid = (pid: number) => /^0::(.*)$/m.exec(read(`/proc/${pid}/cgroup`))?.[1] ?? '';

/**
 * tsctr's delegated scope, made on first use: its cgroup directory, or why systemd gave none
 * (in words, with systemd-run's own message).
 */
export async function systemdScope(
  host: CgroupHost,
  runtimeDir: string,
): Promise<{ dir: string } | { failed: string }> {
  const known = knownScope(runtimeDir);
  if (known) return { dir: known };
  // Two commands starting the first containers of a login at once make one scope between them.
  const lock = await FileLock.acquire(`${recordFile(runtimeDir)}.lock`);
  try {
    const again = knownScope(runtimeDir);
    if (again) return { dir: again };
    const made = await startScope(host);
    if ('failed' in made) return made;
    const unsettled = settle(made.dir);
    if (unsettled) return { failed: unsettled };
    const tmp = `${recordFile(runtimeDir)}.tmp`;
    writeFileSync(tmp, `${made.dir}\n`, { mode: 0o600 });
    renameSync(tmp, recordFile(runtimeDir));
    return made;
  } finally {
    lock.release();
  }
}

async function startScope(host: CgroupHost): Promise<{ dir: string } | { failed: string }> {
  const program = {
    file: 'systemd-run',
    args: [
      '--user',
      '--scope',
      '--quiet',
      '--collect',
      `--unit=${SCOPE_UNIT}`,
      '--description=tsctr: the cgroups of containers',
      '--property=Delegate=yes',
      '--',
      'sleep',
      'infinity',
    ],
    purpose: 'asking systemd for a delegated cgroup',
    package: 'systemd',
  };
  let holder;
  try {
    holder = await startDetached(program);
  } catch (err) {
    return { failed: (err as Error).message };
  }
  let end: Awaited<typeof holder.ended> | undefined;
  void holder.ended.then((f) => (end = f));
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    // systemd-run execs the holder once the manager has moved it into the new scope.
    const path = cgroupOfPid(holder.pid);
    if (!end && path.endsWith(`/${SCOPE_UNIT}`) && path !== host.own) {
      holder.leave();
      return { dir: join(host.mount, path) };
    }
    if (end) {
      const message = 'stderr' in end ? end.stderr : '';
      // A scope of that name from a login whose record is lost: ask the manager where it is.
      if (/already (loaded|exists)/.test(message)) return existingScope(host);
      return { failed: programError(program, end).message };
    }
    if (Date.now() > deadline) {
      try {
        process.kill(holder.pid, 'SIGKILL');
      } catch {
        // Ended just now: nothing left to stop.
      }
      return {
        failed: `systemd-run --user --scope did not start its scope within ${READY_WITHIN_MS / 1000} s`,
      };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function existingScope(host: CgroupHost): Promise<{ dir: string } | { failed: string }> {
  try {
    const r = await runProgram(
      {
        file: 'systemctl',
        args: ['--user', 'show', '--property=ControlGroup', '--value', SCOPE_UNIT],
        purpose: `finding systemd's ${SCOPE_UNIT}`,
        package: 'systemd',
      },
      { timeoutMs: READY_WITHIN_MS },
    );
    const path = r.stdout.trim();
    if (path && existsSync(join(host.mount, path))) return { dir: join(host.mount, path) };
    return { failed: `systemd has a unit ${SCOPE_UNIT} without a cgroup: ${lastLines(r.stdout)}` };
  } catch (err) {
    return { failed: (err as Error).message };
  }
}

/** Moves whatever runs in the scope itself (the holder) into its leaf, `holder`; or says why not. */
function settle(dir: string): string | undefined {
  const leaf = join(dir, 'holder');
  try {
    mkdirSync(leaf, { recursive: true });
  } catch (err) {
    return `systemd's ${SCOPE_UNIT} (${dir}) is not delegated to you: ${(err as NodeJS.ErrnoException).code ?? err}`;
  }
  for (const pid of read(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
    try {
      writeFileSync(join(leaf, 'cgroup.procs'), pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}
