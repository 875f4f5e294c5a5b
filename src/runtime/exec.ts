/**
 * `exec`: one more process in a running container. The monitor binary, started with --exec in
 * our own namespaces, joins the container's (native/monitor/exec.h), and the process is confined
 * exactly as the container's first one: same capabilities (all of them with --privileged),
 * seccomp filter, user, environment and working directory unless the flags say otherwise.
 */
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore } from '../storage/store.ts';
import {
  containerDirs,
  readExit,
  readState,
  reconcile,
  sameProcess,
  seccompCacheDir,
} from '../storage/containers.ts';
import { mappedCount, currentIdMap } from '../userns/idmap.ts';
import { resolveUser } from './image-user.ts';
import { cgroupOf } from './cgroups/index.ts';
import { lookupContainer, noSuchContainer } from './inspect.ts';
import { CLIENT_FD, startMonitor, startWithClient } from './monitor.ts';
import { followWithClient, type AttachIo } from './attach.ts';
import { expandEnvFlags, mergeEnv } from './create.ts';
import { resolveSecurity } from './security/index.ts';
import { SignalForwarder } from './signals.ts';
import { isPaused } from './processes.ts';
import { securityRecords } from './spec.ts';

export interface ExecOptions {
  paths: StatePaths;
  container: string;
  command: string[];
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  privileged: boolean;
  interactive: boolean;
  detach: boolean;
  /** `-t`: a pty made in the container. */
  tty: boolean;
  /** With -t (not -d): the CLI's streams, relayed as a container's are (./attach.ts). */
  io?: AttachIo | undefined;
}

export async function execInContainer(opts: ExecOptions): Promise<{ exitCode: number }> {
  const c = lookupContainer(opts.paths, opts.container);
  if (!c) throw noSuchContainer(opts.container);
  reconcile(opts.paths, c.id);
  const state = readState(opts.paths, c.id);
  if (readExit(opts.paths, c.id) || !state || !sameProcess(state.pid, state.pidStart)) {
    throw new TsctrError(`container ${c.id} is not running`, {
      hint: `start it first: tsctr start ${c.name}`,
    });
  }
  if (isPaused(opts.paths, c.id)) {
    throw new TsctrError(`Container ${c.id} is paused, unpause the container before exec`);
  }
  if (!opts.command.length) throw new TsctrError('exec requires at least 1 argument: the command');

  const dirs = containerDirs(opts.paths, c.id);
  const store = new ImageStore(opts.paths);
  // The container's /etc/passwd as it is now: its writable layer over the image's.
  const layered = [
    join(dirs.storage, 'upper'),
    ...[...(c.layers ?? [])].reverse().map((d) => join(store.layerDir(d), 'diff')),
  ];
  const user = resolveUser(opts.user ?? c.config.User, layered);
  const idmap = currentIdMap();
  user.groups = user.groups.filter((g) => g < mappedCount(idmap.gids));
  const security = resolveSecurity(
    {
      capAdd: c.hostConfig.CapAdd ?? undefined,
      capDrop: c.hostConfig.CapDrop ?? undefined,
      securityOpt: c.hostConfig.SecurityOpt ?? undefined,
      privileged: opts.privileged || c.hostConfig.Privileged,
    },
    user.uid,
  );
  let env = mergeEnv(c.config.Env, expandEnvFlags(opts.env));
  if (opts.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  if (opts.user !== undefined) {
    env = env.filter((e) => !e.startsWith('HOME='));
    env.push(`HOME=${user.home}`);
  }

  const t: string[] = ['version', '1', 'join-pid', String(state.pid), state.pidStart ?? ''];
  const cgroup = cgroupOf(opts.paths, c.id);
  if (cgroup) t.push('cgroup', cgroup);
  // A terminal goes through the helper to the CLI, a client as for `run -it`: detach keys work.
  const client = opts.tty && !opts.detach && opts.io;
  if (opts.detach) t.push('exec-detach');
  if (opts.tty) t.push('terminal');
  if (client) {
    t.push('client-fd', String(CLIENT_FD));
    if (opts.interactive) t.push('stdin', 'open');
    const size = opts.io?.terminal?.size();
    if (size?.rows && size.cols) t.push('terminal-size', String(size.rows), String(size.cols));
  }
  t.push('user', String(user.uid), String(user.gid));
  for (const g of user.groups) t.push('group', String(g));
  for (const a of opts.command) t.push('arg', a);
  for (const e of env) t.push('env', e);
  t.push('cwd', opts.workdir || c.config.WorkingDir || '/');
  t.push(...securityRecords(security, security.seccomp ? seccompCacheDir(opts.paths) : undefined));
  if (t.some((x) => x.includes('\0')))
    throw new TsctrError('exec: an argument contains a NUL byte');
  const specFile = join(dirs.run, `exec-${process.pid}-${Date.now()}`);
  writeFileSync(specFile, t.map((x) => x + '\0').join(''));

  let stdin = -1;
  let signals: SignalForwarder | undefined;
  try {
    stdin = opts.interactive && !opts.detach && !client ? 0 : openSync('/dev/null', 'r+');
    if (!opts.detach) signals = new SignalForwarder({ init: false });
    if (client) {
      const { monitor, client: sock } = await startWithClient({ specFile, stdin, exec: true });
      return {
        exitCode: await followWithClient(monitor, sock, client, {
          started: (pid) => signals?.started(pid),
        }),
      };
    }
    const monitor = await startMonitor({ specFile, stdin, exec: true, detached: opts.detach });
    let started = false;
    try {
      // A detached exec's helper reports the start and exits: read on to the pipe's end.
      for await (const ev of monitor.events) {
        if (ev.kind === 'started') {
          started = true;
          signals?.started(ev.pid);
        } else if (ev.kind === 'exited') {
          return { exitCode: ev.signal ? 128 + ev.signal : ev.code };
        }
      }
    } catch (err) {
      if (!(opts.detach && started)) throw err;
    } finally {
      monitor.reap();
    }
    return { exitCode: 0 };
  } finally {
    signals?.dispose();
    if (stdin > 2) closeSync(stdin);
    rmSync(specFile, { force: true });
  }
}
