/**
 * `run` in the foreground: find (or pull) the image, create the container's record and writable
 * layer, write its spec, start its monitor, forward signals, and return the exit code. With
 * `--rm` the monitor itself removes the container after it ends, so even a CLI killed halfway
 * leaves nothing behind.
 */
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { ensurePrivateDir, type StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { FileLock } from '../storage/lock.ts';
import { currentIdMap, mappedCount } from '../userns/idmap.ts';
import { resolveUser } from './image-user.ts';
import {
  baseMounts,
  devSymlinks,
  encodeSpec,
  maskedPaths,
  namespaceFlags,
  readonlyPaths,
  type ContainerSpec,
} from './spec.ts';
import { planNetwork } from '../netns/index.ts';
import {
  containerDirs,
  logPath,
  procStart,
  removeNameFile,
  saveContainer,
  type ContainerRecord,
} from '../storage/containers.ts';
import { startMonitor } from './monitor.ts';
import { newContainerId, reserveName } from './names.ts';

export interface RunOptions {
  paths: StatePaths;
  /** The image as the user typed it, for the container's record. */
  image: string;
  /**
   * Finds (or pulls) the image and checks its layers: the caller's, since images/ sits beside
   * runtime/, not below it. Called with the store's collection lock held shared.
   */
  findImage: () => Promise<ImageRecord>;
  command: string[];
  name?: string | undefined;
  rm: boolean;
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  entrypoint?: string | undefined;
  hostname?: string | undefined;
  network?: string | undefined;
  interactive: boolean;
  /** `-d`: start the container and return; its output goes to its log file. */
  detach?: boolean | undefined;
  onNotice?: (text: string) => void;
}

/** A foreground run's exit code (docker's), or a detached container's ID. */
export type RunResult = { exitCode: number } | { detached: string };

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** docker's ReplaceOrAppendEnvValues: later KEY=… replaces an earlier KEY in place. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const out = [...base];
  for (const e of over) {
    const key = e.split('=')[0]!;
    const i = out.findIndex((x) => x.split('=')[0] === key);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** `-e KEY` takes KEY from tsctr's own environment, and is dropped when unset (docker). */
export function expandEnvFlags(flags: string[], env = process.env): string[] {
  return flags.flatMap((f) => {
    if (f.includes('=')) return [f];
    const v = env[f];
    return v === undefined ? [] : [`${f}=${v}`];
  });
}

export function commandLine(
  image: ImageRecord,
  args: string[],
  entrypoint: string | undefined,
): string[] {
  const cfg = image.config.config ?? {};
  if (entrypoint !== undefined) return [...(entrypoint ? [entrypoint] : []), ...args];
  const cmd = args.length ? args : (cfg.Cmd ?? []);
  return [...(cfg.Entrypoint ?? []), ...cmd];
}

const HOSTS = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

export async function runContainer(opts: RunOptions): Promise<RunResult> {
  const store = new ImageStore(opts.paths);
  // Held shared from finding the image until the container's record, which lists its layers,
  // is saved: `rmi` collects garbage holding it exclusively, so it cannot delete the layers of
  // an image a starting container has found but not yet claimed.
  const gcLock = await FileLock.acquire(store.lockPath('gc'), { exclusive: false });
  try {
    return await createAndStart(opts, store, () => gcLock.release());
  } finally {
    gcLock.release();
  }
}

async function createAndStart(
  opts: RunOptions,
  store: ImageStore,
  claimed: () => void,
): Promise<RunResult> {
  const image = await opts.findImage();
  const net = planNetwork(opts.network);
  const args = commandLine(image, opts.command, opts.entrypoint);
  if (!args.length)
    throw new TsctrError('No command specified', { hint: 'give a command after the image name' });

  const idmap = currentIdMap();
  if (idmap.single) {
    opts.onNotice?.(
      'WARNING: no subordinate ids for this user in /etc/subuid and /etc/subgid; only uid 0 exists in the container',
    );
  }
  const layersTopDown = [...image.layers].reverse();
  const user = resolveUser(
    opts.user ?? image.config.config?.User ?? '',
    layersTopDown.map((d) => join(store.layerDir(d), 'diff')),
  );
  // Groups the namespace cannot represent are dropped, as podman does, rather than failing.
  user.groups = user.groups.filter((g) => g < mappedCount(idmap.gids));
  if (user.uid >= mappedCount(idmap.uids) || user.gid >= mappedCount(idmap.gids)) {
    throw new TsctrError(`user ${user.uid}:${user.gid} is not mapped in the user namespace`, {
      hint: 'add a larger range for your user to /etc/subuid and /etc/subgid',
    });
  }

  const id = newContainerId();
  const dirs = containerDirs(opts.paths, id);
  const name = reserveName(opts.paths, id, opts.name);
  const hostname = opts.hostname ?? id.slice(0, 12);
  const cwd = opts.workdir || image.config.config?.WorkingDir || '/';
  let env = [DEFAULT_PATH, `HOSTNAME=${hostname}`];
  env = mergeEnv(env, mergeEnv(image.config.config?.Env ?? [], expandEnvFlags(opts.env)));
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);

  const record: ContainerRecord = {
    id,
    name,
    image: opts.image,
    imageId: image.id,
    created: new Date().toISOString(),
    path: args[0]!,
    args: args.slice(1),
    config: {
      Hostname: hostname,
      User: opts.user ?? image.config.config?.User ?? '',
      Env: env,
      Cmd: opts.command.length ? opts.command : (image.config.config?.Cmd ?? []),
      Entrypoint:
        opts.entrypoint !== undefined
          ? [opts.entrypoint]
          : (image.config.config?.Entrypoint ?? null),
      WorkingDir: cwd,
    },
    hostConfig: { AutoRemove: opts.rm, NetworkMode: net.mode },
    layers: image.layers,
  };

  let stdin = -1;
  let signals: SignalForwarder | undefined;
  try {
    for (const d of ['upper', 'work', 'merged'])
      mkdirSync(join(dirs.storage, d), { recursive: true, mode: 0o755 });
    ensurePrivateDir(opts.paths.runroot);
    mkdirSync(dirs.run, { recursive: true, mode: 0o700 });
    saveContainer(opts.paths, record);
    claimed();
    writeFileSync(join(dirs.run, 'hostname'), `${hostname}\n`);
    writeFileSync(join(dirs.run, 'hosts'), HOSTS);

    const rel = (p: string) => p.slice(opts.paths.root.length + 1);
    const lower = layersTopDown.map((d) => store.layerDiffRelative(d)).join(':');
    const spec: ContainerSpec = {
      cloneFlags: namespaceFlags(net.ownNetns),
      rootfs: join(dirs.storage, 'merged'),
      mountCwd: opts.paths.root,
      mounts: [
        {
          source: 'overlay',
          target: '/',
          fstype: 'overlay',
          flags: 0,
          // Relative paths (resolved against mount-cwd) keep many layers under the 4 KiB limit
          // of mount options; userxattr is what lets an unprivileged user mount overlay (5.11+).
          data: `lowerdir=${lower},upperdir=${rel(join(dirs.storage, 'upper'))},workdir=${rel(join(dirs.storage, 'work'))},userxattr`,
          make: 'none',
        },
        ...baseMounts({ ownNetns: net.ownNetns, ptsGid5: mappedCount(idmap.gids) > 5 }),
        {
          source: join(dirs.run, 'hostname'),
          target: '/etc/hostname',
          fstype: '',
          flags: 4096,
          data: '',
          make: 'file',
        },
        {
          source: join(dirs.run, 'hosts'),
          target: '/etc/hosts',
          fstype: '',
          flags: 4096,
          data: '',
          make: 'file',
        },
      ],
      symlinks: devSymlinks,
      masked: maskedPaths,
      readonly: readonlyPaths,
      hostname,
      uid: user.uid,
      gid: user.gid,
      groups: user.groups,
      args,
      env,
      cwd,
      removeOnExit: opts.rm ? [dirs.storage, dirs.run, dirs.nameFile(name)] : [],
      exitFile: opts.rm ? '' : join(dirs.run, 'exit'),
      logFile: opts.detach ? logPath(opts.paths, id) : undefined,
    };
    const specFile = join(dirs.run, 'spec');
    writeFileSync(specFile, encodeSpec(spec));

    if (opts.detach) {
      stdin = openSync('/dev/null', 'r+');
      const monitor = await startMonitor({ specFile, stdin, idmap, detached: true });
      await followDetached(monitor, opts.paths, id);
      return { detached: id };
    }
    stdin = opts.interactive ? 0 : openSync('/dev/null', 'r');
    signals = new SignalForwarder();
    const monitor = await startMonitor({ specFile, stdin, idmap });
    return { exitCode: await followForeground(monitor, opts.paths, id, signals, opts.onNotice) };
  } catch (err) {
    // As docker, a container that failed to start stays (status Created) unless --rm. The
    // monitor already removed it if it got that far; if not, its upper dir is still empty and
    // ours, so plain removal works.
    if (opts.rm) {
      rmSync(dirs.run, { recursive: true, force: true });
      rmSync(dirs.storage, { recursive: true, force: true });
      removeNameFile(opts.paths, name);
    }
    throw err;
  } finally {
    signals?.dispose();
    if (stdin > 2) closeSync(stdin);
  }
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** True when the process has a handler for `signal` (SigCgt in /proc/PID/status). */
function catches(pid: number, signal: number): boolean {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return !!m && (BigInt(`0x${m[1]}`) & (1n << BigInt(signal - 1))) !== 0n;
  } catch {
    return false;
  }
}

/**
 * Forwards the CLI's termination signals to the container's init. Installed before the monitor
 * starts so a Ctrl-C that arrives while the container is being set up is not lost (nor kills the
 * CLI): it is delivered as soon as the container's pid is known.
 */
class SignalForwarder {
  private pid: number | undefined;
  private pending: NodeJS.Signals[] = [];
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor() {
    for (const sig of FORWARDED) {
      const h = () => (this.pid === undefined ? this.pending.push(sig) : this.deliver(sig));
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  started(pid: number): void {
    this.pid = pid;
    for (const sig of this.pending.splice(0)) this.deliver(sig);
  }

  private deliver(sig: NodeJS.Signals): void {
    const pid = this.pid!;
    // The container's init is pid 1 of its namespace: the kernel drops a signal it has no
    // handler for. Ctrl-C (or a TERM) must still stop it, so that becomes SIGKILL.
    const fatal = sig === 'SIGINT' || sig === 'SIGTERM';
    try {
      process.kill(pid, fatal && !catches(pid, osConstants.signals[sig]) ? 'SIGKILL' : sig);
    } catch {
      // Already gone; the monitor reports the exit.
    }
  }

  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
}

/** Records the state a container starts in: ps and stop read the pid from it. */
function saveState(paths: StatePaths, id: string, pid: number, monitorPid: number): void {
  try {
    writeFileSync(
      join(containerDirs(paths, id).run, 'state.json'),
      JSON.stringify({
        pid,
        monitorPid,
        startedAt: new Date().toISOString(),
        pidStart: procStart(pid),
        monitorStart: procStart(monitorPid),
      }),
    );
  } catch (err) {
    // With --rm a command that exits at once may already have been removed by its monitor.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Waits only for the start: the monitor goes on alone, logging, reaping, recording the exit. */
async function followDetached(
  monitor: Awaited<ReturnType<typeof startMonitor>>,
  paths: StatePaths,
  id: string,
): Promise<void> {
  try {
    for await (const ev of monitor.events) {
      if (ev.kind === 'started') {
        saveState(paths, id, ev.pid, monitor.monitorPid);
        return;
      }
    }
  } finally {
    monitor.detach();
  }
}

async function followForeground(
  monitor: Awaited<ReturnType<typeof startMonitor>>,
  paths: StatePaths,
  id: string,
  signals: SignalForwarder,
  notice: ((text: string) => void) | undefined,
): Promise<number> {
  try {
    for await (const ev of monitor.events) {
      if (ev.kind === 'started') {
        signals.started(ev.pid);
        saveState(paths, id, ev.pid, monitor.monitorPid);
      } else if (ev.kind === 'exited') {
        return ev.signal ? 128 + ev.signal : ev.code;
      } else if (ev.kind === 'warning') {
        notice?.(`WARNING: ${ev.text}`);
      }
    }
    throw new TsctrError('the container monitor ended without reporting an exit status');
  } finally {
    monitor.reap();
  }
}
