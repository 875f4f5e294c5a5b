/**
 * Where tsctr keeps its state. Storage (images, layers, containers' writable layers) lives under
 * $XDG_DATA_HOME/tsctr; runtime state that must not survive a reboot (monitor state, exit
 * files) under $XDG_RUNTIME_DIR/tsctr. `--root`/`--runroot` (or TSCTR_ROOT/TSCTR_RUNROOT)
 * override both.
 */
import { homedir, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

export interface StatePaths {
  root: string;
  runroot: string;
}

export interface PathOptions {
  root?: string | undefined;
  runroot?: string | undefined;
}

export function statePaths(opts: PathOptions = {}, env = process.env): StatePaths {
  const home = env.HOME || homedir();
  const dataHome = env.XDG_DATA_HOME || join(home, '.local/share');
  const root = opts.root ?? env.TSCTR_ROOT ?? join(dataHome, 'tsctr');
  // Without XDG_RUNTIME_DIR (no systemd login session: su, cron, CI) podman falls back to a
  // per-user directory under /tmp; so do we.
  const runtimeDir = env.XDG_RUNTIME_DIR || join(tmpdir(), `tsctr-run-${process.getuid?.() ?? userInfo().uid}`);
  const runroot = opts.runroot ?? env.TSCTR_RUNROOT ?? join(runtimeDir, 'tsctr');
  return { root: resolve(root), runroot: resolve(runroot) };
}
