/**
 * Where tsctr keeps its state. Storage (images, layers, containers' writable layers) lives under
 * $XDG_DATA_HOME/tsctr; runtime state that must not survive a reboot (monitor state, exit
 * files) under $XDG_RUNTIME_DIR/tsctr. `--root`/`--runroot` (or TSCTR_ROOT/TSCTR_RUNROOT)
 * override both.
 */
import { join, resolve } from 'node:path';
import { mkdirSync, statSync } from 'node:fs';
import { TsctrError } from '../errors.ts';

export interface StatePaths {
  root: string;
  runroot: string;
}

export interface PathOptions {
  root?: string | undefined;
  runroot?: string | undefined;
}

/**
 * Creates a private state directory, refusing one that another user owns: under a shared /tmp
 * (no XDG_RUNTIME_DIR) someone else could otherwise pre-create it and plant container specs.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (st.uid !== process.getuid!()) {
    throw new TsctrError(`${dir} belongs to uid ${st.uid}, not to you`, {
      hint: 'set XDG_RUNTIME_DIR to a directory of your own, or pass --runroot',
    });
  }
}

export function statePaths(opts: PathOptions = {}, env = process.env): StatePaths {
  // node:os only when the environment does not say: loading it is 0.15 ms of every command.
  const os = () => process.getBuiltinModule('node:os');
  const home = env.HOME || os().homedir();
  const dataHome = env.XDG_DATA_HOME || join(home, '.local/share');
  const root = opts.root ?? env.TSCTR_ROOT ?? join(dataHome, 'tsctr');
  // Without XDG_RUNTIME_DIR (no systemd login session: su, cron, CI) podman falls back to a
  // per-user directory under /tmp; so do we.
  const runtimeDir = env.XDG_RUNTIME_DIR || join(os().tmpdir(), `tsctr-run-${process.getuid!()}`);
  const runroot = opts.runroot ?? env.TSCTR_RUNROOT ?? join(runtimeDir, 'tsctr');
  return { root: resolve(root), runroot: resolve(runroot) };
}
