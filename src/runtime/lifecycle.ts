/**
 * start, restart, stop, kill and rm of containers that run on their own (`run -d`): the container's init is
 * signalled directly (its pid in state.json), and its monitor records the exit. Batch verbs
 * work item by item: each outcome is returned, and the command reports them as docker does.
 */
import { dropCgroup } from './cgroups/index.ts';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { constants } from 'node:os';
import type { StatePaths } from '../config/paths.ts';
import { ExitCode, TsctrError, fromSystemError } from '../errors.ts';
import { LayerWriter } from '../storage/layer-writer.ts';
import { diskUsage } from '../storage/disk-usage.ts';
import { currentIdMap } from '../userns/idmap.ts';
import {
  containerDirs,
  readExit,
  reconcile,
  sameProcess,
  readState,
  listContainers,
  stopMarkerPath,
  removeNameFile,
  saveContainer,
  type ContainerRecord,
} from '../storage/containers.ts';
import { lookupContainer, noSuchContainer } from './inspect.ts';
import { reserveName } from './names.ts';
import { startContainer } from './start.ts';
import type { AttachIoFactory } from './attach.ts';
import { parseSignal } from './signals.ts';
import { removeAnonymousVolumes } from './volumes.ts';
import { portLines } from '../netns/ports.ts';
import { containerPids, freeze, isPaused, thaw } from './processes.ts';

export interface ItemOutcome {
  /** As the user gave it: docker prints it back. */
  input: string;
  error?: TsctrError;
}

/** The pid of the container's init while it runs; undefined once it is gone. */
function runningPid(paths: StatePaths, c: ContainerRecord): number | undefined {
  reconcile(paths, c.id);
  if (readExit(paths, c.id)) return undefined;
  const state = readState(paths, c.id);
  return state && sameProcess(state.pid, state.pidStart) ? state.pid : undefined;
}

/** Polls until the container's monitor has recorded its end (or its init is gone). */
async function waitExit(paths: StatePaths, c: ContainerRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const state = readState(paths, c.id);
    const gone = !state || !sameProcess(state.pid, state.pidStart);
    const monitorGone = !state || !sameProcess(state.monitorPid, state.monitorStart);
    if (readExit(paths, c.id) || (gone && monitorGone)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(delay);
  }
}

/**
 * Between a restart policy's runs (asked when no init runs): its monitor lives and has not
 * recorded an end, so it may start the next run at any moment.
 */
function restarting(paths: StatePaths, c: ContainerRecord): boolean {
  if (!c.hostConfig.RestartPolicy || readExit(paths, c.id)) return false;
  const state = readState(paths, c.id);
  return !!state && sameProcess(state.monitorPid, state.monitorStart);
}

/**
 * Ends the container for good, after holdRestarts: `sig` to each init that runs, SIGKILL to any
 * still running after `graceMs`, until the monitor has recorded the end or is gone (false if
 * that takes 10 s more). Each new init is signalled too: a monitor that looked for the stop
 * marker just before it was written starts one more run, and `rm -f` must not remove the
 * directories of a run that is starting (its files would land in a directory being removed,
 * and its processes would outlive the container).
 */
async function endRuns(
  paths: StatePaths,
  c: ContainerRecord,
  sig: number,
  graceMs: number,
): Promise<boolean> {
  const begin = Date.now();
  const signalled = new Set<string>();
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (readExit(paths, c.id)) return true;
    const state = readState(paths, c.id);
    if (!state) return true;
    const live = sameProcess(state.pid, state.pidStart);
    if (!live && !sameProcess(state.monitorPid, state.monitorStart)) return true;
    const elapsed = Date.now() - begin;
    if (live) {
      const run = `${state.pid} ${state.pidStart}`;
      if (!signalled.has(run)) {
        signalled.add(run);
        signal(state.pid, sig);
        resumeIfPaused(paths, c, state.pid);
      } else if (elapsed >= graceMs && sig !== constants.signals.SIGKILL) {
        signal(state.pid, constants.signals.SIGKILL);
      }
    }
    if (elapsed >= graceMs + 10_000) return false;
    await sleep(delay);
  }
}

export { parseSignal };

export async function eachContainer<T = void>(
  paths: StatePaths,
  inputs: readonly string[],
  act: (c: ContainerRecord) => Promise<T>,
): Promise<(ItemOutcome & { value?: T })[]> {
  const out: (ItemOutcome & { value?: T })[] = [];
  for (const input of inputs) {
    try {
      const c = lookupContainer(paths, input);
      if (!c) throw noSuchContainer(input);
      out.push({ input, value: await act(c) });
    } catch (err) {
      if (!(err instanceof TsctrError)) throw err;
      out.push({ input, error: err });
    }
  }
  return out;
}

/** docker wait: blocks until each container has ended; its exit code (128+N if killed). */
export async function waitContainers(
  paths: StatePaths,
  inputs: readonly string[],
): Promise<(ItemOutcome & { value?: number })[]> {
  return eachContainer(paths, inputs, async (c) => {
    await waitExit(paths, c, Infinity);
    const exit = readExit(paths, c.id);
    if (!exit) return readState(paths, c.id) ? 255 : 0; // a killed monitor recorded nothing
    return exit.signal ? 128 + exit.signal : exit.code;
  });
}

/**
 * docker stop: SIGTERM, then SIGKILL after `timeout` seconds (a negative one: never). A container's init ignores a
 * signal it has no handler for (pid 1 of its namespace), so a shell that traps nothing stops
 * only at the KILL, as with docker.
 */
export function stopContainers(
  paths: StatePaths,
  inputs: readonly string[],
  timeout: number | undefined,
): Promise<ItemOutcome[]> {
  return eachContainer(paths, inputs, (c) => stopOne(paths, c, timeout));
}

/**
 * Tells a monitor applying a restart policy that the user stopped its container, so it restarts
 * it no more; one waiting out its back-off is woken (it has no container to signal) and ends.
 */
function holdRestarts(paths: StatePaths, c: ContainerRecord): void {
  if (!c.hostConfig.RestartPolicy) return;
  writeFileSync(stopMarkerPath(paths, c.id), '');
  const state = readState(paths, c.id);
  if (state?.restarting && sameProcess(state.monitorPid, state.monitorStart)) {
    signal(state.monitorPid, constants.signals.SIGTERM);
  }
}

/**
 * The container's stop signal (--stop-signal, else its image's, else SIGTERM), then KILL after
 * `timeout` seconds (-t, else --stop-timeout, else 10; negative: never).
 */
async function stopOne(
  paths: StatePaths,
  c: ContainerRecord,
  seconds: number | undefined,
): Promise<void> {
  const timeout = seconds ?? c.config.StopTimeout ?? 10;
  holdRestarts(paths, c);
  // docker: stopping a stopped container succeeds; one between restarts ends now.
  if (runningPid(paths, c) === undefined && !c.hostConfig.RestartPolicy) return;
  await endRuns(
    paths,
    c,
    parseSignal(c.config.StopSignal ?? 'SIGTERM'),
    timeout < 0 ? Infinity : timeout * 1000,
  );
}

/**
 * docker container prune: every container that is not running (created or exited) is removed;
 * the space is what their writable layers took.
 */
export async function pruneContainers(
  paths: StatePaths,
): Promise<{ ids: string[]; reclaimed: number }> {
  const doomed = listContainers(paths).filter(
    (c) => runningPid(paths, c) === undefined && !restarting(paths, c),
  );
  const reclaimed = doomed.reduce(
    (sum, c) => sum + diskUsage(join(containerDirs(paths, c.id).storage, 'upper')),
    0,
  );
  const outcomes = await removeContainers(
    paths,
    doomed.map((c) => c.id),
    false,
  );
  const failed = outcomes.find((o) => o.error);
  if (failed?.error) throw failed.error;
  return { ids: doomed.map((c) => c.id), reclaimed };
}

/** docker pause: the container's cgroup frozen, or every process of it stopped (./processes.ts). */
export function pauseContainers(
  paths: StatePaths,
  inputs: readonly string[],
): Promise<ItemOutcome[]> {
  return eachContainer(paths, inputs, async (c) => {
    const pid = runningPid(paths, c);
    if (pid === undefined) throw new TsctrError(`Container ${c.id} is not running`);
    if (isPaused(paths, c.id)) throw new TsctrError(`Container ${c.id} is already paused`);
    freeze(paths, c.id, pid);
  });
}

export function unpauseContainers(
  paths: StatePaths,
  inputs: readonly string[],
): Promise<ItemOutcome[]> {
  return eachContainer(paths, inputs, async (c) => {
    const pid = runningPid(paths, c);
    if (pid === undefined || !isPaused(paths, c.id)) {
      throw new TsctrError(`Container ${c.id} is not paused`);
    }
    thaw(paths, c.id, pid);
  });
}

/** A paused container's processes resume, so a signal sent to them takes effect. */
function resumeIfPaused(paths: StatePaths, c: ContainerRecord, pid: number): void {
  if (isPaused(paths, c.id)) thaw(paths, c.id, pid);
}

/** docker top: the host's `ps` with the given options, cut to the container's processes. */
export async function topContainer(
  paths: StatePaths,
  input: string,
  psArgs: string[],
): Promise<string> {
  const c = lookupContainer(paths, input);
  if (!c) throw noSuchContainer(input);
  const pid = runningPid(paths, c);
  if (pid === undefined) throw new TsctrError(`Container ${c.id} is not running`);
  const pids = new Set(containerPids(pid));
  const { runProgram } = await import('../host/exec.ts');
  const out = await runProgram({
    file: 'ps',
    args: psArgs.length ? psArgs : ['-ef'],
    purpose: "listing the container's processes",
    package: 'procps',
  });
  const lines = out.stdout.split('\n').filter((l) => l.trim());
  const header = lines[0] ?? '';
  const col = header.trim().split(/\s+/).indexOf('PID');
  if (col < 0) {
    throw new TsctrError(`Couldn't find PID field in ps output`, {
      hint: 'give ps options whose output has a PID column (for example -o pid,comm)',
    });
  }
  const rows = lines.slice(1).filter((l) => pids.has(Number(l.trim().split(/\s+/)[col])));
  return [header, ...rows].join('\n');
}

/** docker start: each container runs detached again (a running one is left as it is). */
export function startContainers(
  paths: StatePaths,
  inputs: readonly string[],
): Promise<ItemOutcome[]> {
  return eachContainer(paths, inputs, async (c) => {
    await startContainer(paths, c, { detach: true });
  });
}

/** docker start -a [-i]: one container in the foreground; its exit code. */
export async function startAttached(
  paths: StatePaths,
  input: string,
  makeIo: AttachIoFactory,
): Promise<number> {
  const c = lookupContainer(paths, input);
  if (!c) throw noSuchContainer(input);
  const io = makeIo({ tty: !!c.config.Tty, openStdin: !!c.config.OpenStdin });
  const r = await startContainer(paths, c, { detach: false, io });
  return 'exitCode' in r ? r.exitCode : 0;
}

/** docker restart: stop (TERM, KILL after `timeout` seconds), then start detached. */
export function restartContainers(
  paths: StatePaths,
  inputs: readonly string[],
  timeout: number | undefined,
): Promise<ItemOutcome[]> {
  return eachContainer(paths, inputs, async (c) => {
    await stopOne(paths, c, timeout);
    await startContainer(paths, c, { detach: true });
  });
}

export function killContainers(
  paths: StatePaths,
  inputs: readonly string[],
  sig: number,
): Promise<ItemOutcome[]> {
  return eachContainer(paths, inputs, async (c) => {
    const pid = runningPid(paths, c);
    if (pid === undefined) {
      throw new TsctrError(`cannot kill container: ${c.id}: container ${c.id} is not running`, {
        hint: 'start it first, or see its state with tsctr ps -a',
      });
    }
    // As docker: a container killed by the user is not restarted by its policy.
    const fatal = ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT'].map(
      (s) => constants.signals[s as NodeJS.Signals],
    );
    if (fatal.includes(sig)) holdRestarts(paths, c);
    signal(pid, sig);
    if (fatal.includes(sig)) resumeIfPaused(paths, c, pid);
  });
}

/** docker rm [-f]: a running container only with force, which kills it first. */
export function removeContainers(
  paths: StatePaths,
  inputs: readonly string[],
  force: boolean,
  volumes = false,
): Promise<ItemOutcome[]> {
  return eachContainer(paths, inputs, async (c) => {
    if (force) {
      holdRestarts(paths, c);
      await endRuns(paths, c, constants.signals.SIGKILL, 0);
    } else {
      const what =
        runningPid(paths, c) !== undefined ? 'running' : restarting(paths, c) ? 'restarting' : '';
      if (what) {
        throw new TsctrError(
          `cannot remove container "/${c.name}": container is ${what}: stop the container before removing or force remove`,
          { exitCode: ExitCode.Failed, hint: `tsctr stop ${c.name}, or tsctr rm -f ${c.name}` },
        );
      }
    }
    const dirs = containerDirs(paths, c.id);
    // The writable layer holds files of the container's other uids, which only the user
    // namespace can remove: moved aside first (a later gc removes it if this one is killed),
    // then removed by the layer writer, inside the namespace.
    const tmp = join(paths.root, 'tmp', `${process.pid}-rm-${c.id.slice(0, 16)}`);
    mkdirSync(join(paths.root, 'tmp'), { recursive: true, mode: 0o700 });
    let moved = true;
    try {
      renameSync(dirs.storage, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw fromSystemError(`cannot remove container ${c.name}`, err);
      }
      moved = false;
    }
    dropCgroup(paths, c.id);
    rmSync(dirs.run, { recursive: true, force: true });
    removeNameFile(paths, c.name);
    if (moved) {
      const w = await LayerWriter.start(currentIdMap());
      try {
        await w.remove(tmp);
      } finally {
        await w.close();
      }
    }
    if (volumes) await removeAnonymousVolumes(paths, c);
  });
}

/**
 * docker rename: the new name is reserved first (O_EXCL, so a clash with a container being
 * created at the same time fails cleanly), then the record changes, then the old name goes.
 */
export function renameContainer(paths: StatePaths, input: string, wanted: string): void {
  const c = lookupContainer(paths, input);
  if (!c) throw noSuchContainer(input);
  const name = wanted.startsWith('/') ? wanted.slice(1) : wanted;
  if (name === c.name) {
    throw new TsctrError(`Renaming a container with the same name as its current name`, {
      hint: 'give another name',
    });
  }
  reserveName(paths, c.id, name);
  saveContainer(paths, { ...c, name });
  removeNameFile(paths, c.name);
}

function signal(pid: number, sig: number): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * `port`: the container's published ports as docker prints them, or the host addresses of one
 * of them; nothing for a container that is not running (docker clears them at stop).
 */
export function containerPorts(paths: StatePaths, input: string, want?: string): string[] {
  const c = lookupContainer(paths, input);
  if (!c) throw noSuchContainer(input);
  const ports = runningPid(paths, c) === undefined ? [] : (c.ports ?? []);
  return portLines(ports, c.name, want);
}
