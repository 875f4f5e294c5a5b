/**
 * Starting tsctr-monitor for a container and following its status pipe (protocol in
 * native/monitor/main.cc and docs/ARCHITECTURE.md).
 */
import { closeSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { native, helperPath } from '../native/loader.ts';
import { spawnHelper, spawnInUserNamespace } from '../userns/spawn.ts';
import type { IdMap } from '../userns/idmap.ts';
import { ExitCode, TsctrError, errnoName } from '../errors.ts';
import { rlimitName } from './ulimits.ts';

export type MonitorEvent =
  | { kind: 'started'; pid: number }
  | { kind: 'exited'; code: number; signal: number }
  | { kind: 'warning'; text: string };

export interface MonitorHandle {
  monitorPid: number;
  /** Resolves when the monitor reports the container's exit (or rejects on a start failure). */
  events: AsyncGenerator<MonitorEvent>;
  /** Reaps the monitor once its status pipe has closed. */
  reap(): void;
  /** Stops following: closes the status pipe, and the monitor goes on alone (`run -d`). */
  detach(): void;
}

/** Maps a setup/exec failure to docker's message and exit code (126 cannot invoke, 127 not found). */
export function startError(stage: string, errno: number, detail: string): TsctrError {
  const name = errnoName(errno);
  if (stage === 'exec-path') {
    return name === 'EACCES'
      ? new TsctrError(`exec: "${detail}": permission denied`, {
          exitCode: ExitCode.CannotInvoke,
          errno: name,
        })
      : new TsctrError(`exec: "${detail}": executable file not found in $PATH`, {
          exitCode: ExitCode.NotFound,
          errno: name,
        });
  }
  if (stage === 'exec') {
    if (name === 'ENOENT' || name === 'ENOTDIR') {
      return new TsctrError(`exec: "${detail}": stat ${detail}: no such file or directory`, {
        exitCode: ExitCode.NotFound,
        errno: name,
      });
    }
    const why =
      name === 'ENOEXEC'
        ? 'exec format error'
        : name === 'EACCES' || name === 'EPERM'
          ? 'permission denied'
          : name;
    return new TsctrError(`exec: "${detail}": ${why}`, {
      exitCode: ExitCode.CannotInvoke,
      errno: name,
    });
  }
  if (stage === 'rlimit') {
    return new TsctrError(
      `error setting rlimit type ${rlimitName(Number(detail))}: ${name === 'EPERM' ? 'operation not permitted' : name}`,
      {
        errno: name,
        hint: 'a rootless container may lower a limit, and raise it only up to your own hard limit (ulimit -H)',
      },
    );
  }
  if (stage === 'cwd') {
    return new TsctrError(`chdir to cwd ("${detail}") set in config failed: ${name}`, {
      exitCode: name === 'EACCES' ? ExitCode.CannotInvoke : ExitCode.Failed,
      errno: name,
    });
  }
  if (stage === 'ports') {
    // The monitor's own forwarder could not bind "IP:PORT" (native/monitor/forward.h).
    return name === 'EADDRINUSE'
      ? new TsctrError(`Bind for ${detail} failed: port is already allocated`, {
          hint: 'another program (or container) listens there: publish on another host port',
        })
      : new TsctrError(`cannot publish ${detail}: ${name}`, {
          errno: name,
          hint: 'see `tsctr info` (its network lines)',
        });
  }
  if (stage === 'network') {
    // pasta's words: "Failed to bind port 8080 (Address already in use) for option '-t …'".
    const busy = /port (\d+) \(Address already in use\)/.exec(detail);
    if (busy) {
      return new TsctrError(`Bind for 0.0.0.0:${busy[1]} failed: port is already allocated`, {
        hint: `another program (or container) listens on ${busy[1]}: publish on another host port, for example -p ${Number(busy[1]) + 1}:…`,
      });
    }
    return new TsctrError(`setting up the network failed: ${detail}`, {
      errno: name,
      hint: 'see `tsctr info` (its network lines); `--network none` runs without a network',
    });
  }
  if (stage === 'cgroup') {
    return new TsctrError(`cannot put the container in its cgroup: ${detail}: ${name}`, {
      errno: name,
      hint: 'the cgroup tsctr made for it could not be joined; `tsctr info` shows your cgroup',
    });
  }
  const hint =
    stage === 'rootfs'
      ? 'native overlayfs with userxattr needs Linux 5.11 or newer; see `tsctr info`'
      : undefined;
  return new TsctrError(`container setup failed at ${stage}: ${detail}: ${name}`, {
    errno: name,
    hint,
  });
}

/** The monitor's (or exec helper's) fd that is the CLI's client socket: the spec's client-fd. */
export const CLIENT_FD = 4;

export async function startMonitor(
  opts: {
    specFile: string;
    /**
     * A container's monitor: /dev/null for its fds 0-2 (it holds the container's stdio itself).
     * An exec: the process's stdin, with the CLI's stdout and stderr.
     */
    stdin: number;
    /** The monitor's fd 4: the foreground CLI's client socket (the spec's client-fd); fds 0-2 are then `stdin`. */
    client?: number | undefined;
    /** An exec that runs on alone (`exec -d`): `stdin` is all of its fds 0-2. */
    detached?: boolean | undefined;
  } & (
    | { idmap: IdMap; exec?: undefined; joinsUserns?: undefined }
    /**
     * A container's monitor that joins another container's user namespace itself (the spec's
     * join-ns): started in ours, as the user who owns that namespace.
     */
    | { joinsUserns: true; exec?: undefined }
    /** Start the monitor to join a running container (`--exec`, in our own namespaces). */
    | { exec: true }
  ),
): Promise<MonitorHandle> {
  const n = native();
  const [r, w] = n.pipe();
  let pid: number;
  try {
    const file = helperPath('tsctr-monitor');
    const stdio =
      opts.exec && !opts.detached && opts.client === undefined
        ? [opts.stdin, 1, 2, w]
        : [
            opts.stdin,
            opts.stdin,
            opts.stdin,
            w,
            ...(opts.client !== undefined ? [opts.client] : []),
          ];
    pid = opts.exec
      ? spawnHelper({ file, argv: [file, '--exec', opts.specFile], env: [], stdio, setsid: true })
      : opts.joinsUserns
        ? spawnHelper({ file, argv: [file, opts.specFile], env: [], stdio, setsid: true })
        : await spawnInUserNamespace({
            file,
            argv: [file, opts.specFile],
            env: [],
            stdio,
            setsid: true,
            idmap: opts.idmap,
          });
  } catch (err) {
    closeSync(r);
    throw err;
  } finally {
    closeSync(w);
  }
  const sock = new Socket({ fd: r, readable: true, writable: false });
  const lines = statusLines(sock);
  let pipeClosed = false;
  async function* events(): AsyncGenerator<MonitorEvent> {
    let exited = false;
    for await (const line of lines.lines) {
      const [word, ...rest] = line.split(' ');
      if (word === 'STARTED') yield { kind: 'started', pid: Number(rest[0]) };
      else if (word === 'EXITED') {
        exited = true;
        yield { kind: 'exited', code: Number(rest[0]), signal: Number(rest[1]) };
      } else if (word === 'ERROR') {
        throw startError(rest[0] ?? '', Number(rest[1]), rest.slice(2).join(' '));
      } else if (word === 'WARNING') yield { kind: 'warning', text: rest.join(' ') };
    }
    pipeClosed = true;
    if (!exited)
      throw new TsctrError('the container monitor ended without reporting an exit status');
  }
  return {
    monitorPid: pid,
    events: events(),
    detach: () => {
      lines.close();
      sock.destroy();
    },
    reap: () => {
      // Block only for a monitor that has closed its status pipe (it is exiting); one still
      // following its container is left to outlive the CLI.
      n.waitpid(pid, pipeClosed);
    },
  };
}

/**
 * The status pipe's lines as they arrive. (node:readline did this, and loading it cost every
 * `run` ~0.5 ms.) A read error ends the lines with that error while they are iterated, and is
 * otherwise dropped: a status pipe that fails once the exit is known changes nothing. `close`
 * ends them at once, as a detaching `run -d` does.
 */
function statusLines(sock: Socket): { lines: AsyncGenerator<string>; close(): void } {
  const queue: string[] = [];
  let partial = '';
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    queue.push(...parts);
    notify();
  });
  sock.on('end', () => {
    if (partial) queue.push(partial);
    partial = '';
    ended = true;
    notify();
  });
  sock.on('close', () => {
    ended = true;
    notify();
  });
  sock.on('error', (err) => {
    failure = err;
    ended = true;
    notify();
  });
  async function* lines(): AsyncGenerator<string> {
    for (;;) {
      if (queue.length) yield queue.shift()!;
      else if (failure) throw failure;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    lines: lines(),
    close: () => {
      queue.length = 0;
      ended = true;
      notify();
    },
  };
}

/**
 * startMonitor with the CLI as the monitor's first client: one end of a socketpair becomes its
 * fd 4 (CLIENT_FD, which the spec names), the other is returned as a socket.
 */
export async function startWithClient(
  opts: Parameters<typeof startMonitor>[0],
): Promise<{ monitor: MonitorHandle; client: Socket }> {
  const [mine, theirs] = native().socketpair();
  try {
    const monitor = await startMonitor({ ...opts, client: theirs });
    return { monitor, client: new Socket({ fd: mine, readable: true, writable: true }) };
  } catch (err) {
    closeSync(mine);
    throw err;
  } finally {
    closeSync(theirs);
  }
}

/**
 * Runs tsctr-monitor in one of its network modes with /dev/null for fds 0-2 and the status pipe
 * as fd 3, until its first line: `ok` (its pid returned) or ERROR (thrown). `spawn` starts it.
 */
async function untilStatus(
  mode: string,
  specFile: string,
  ok: string,
  ended: string,
  spawn: (opts: {
    file: string;
    argv: string[];
    env: string[];
    stdio: number[];
  }) => number | Promise<number>,
): Promise<number> {
  const n = native();
  const [r, w] = n.pipe();
  let pid: number;
  const devNull = openSync('/dev/null', 'r+');
  try {
    const file = helperPath('tsctr-monitor');
    pid = await spawn({
      file,
      argv: [file, mode, specFile],
      env: [],
      stdio: [devNull, devNull, devNull, w],
    });
  } catch (err) {
    closeSync(r);
    throw err;
  } finally {
    closeSync(w);
    closeSync(devNull);
  }
  const sock = new Socket({ fd: r, readable: true, writable: false });
  const lines = statusLines(sock);
  try {
    for await (const line of lines.lines) {
      const [word, ...rest] = line.split(' ');
      if (word === ok) return pid;
      if (word === 'ERROR') {
        n.waitpid(pid, true);
        throw startError(rest[0] ?? '', Number(rest[1]), rest.slice(2).join(' '));
      }
    }
    n.waitpid(pid, true);
    throw new TsctrError(ended);
  } finally {
    lines.close();
    sock.destroy();
  }
}

/**
 * Starts the user networks' keeper (`tsctr-monitor --network SPEC`, native/monitor/keeper.h) as
 * root in a new user namespace; its pid once it says READY (it then runs on alone).
 */
export function startKeeper(specFile: string, idmap: IdMap): Promise<number> {
  return untilStatus(
    '--network',
    specFile,
    'READY',
    'the network keeper ended without saying it was ready',
    (o) => spawnInUserNamespace({ ...o, setsid: true, idmap }),
  );
}

/**
 * `tsctr-monitor --connect SPEC` (native/monitor/keeper.h): a running container's network
 * requests to the keeper, sent from inside its namespaces; resolves once the keeper said OK.
 */
export async function runConnect(specFile: string): Promise<void> {
  const pid = await untilStatus(
    '--connect',
    specFile,
    'OK',
    'the network request ended without an answer',
    (o) => spawnHelper(o),
  );
  native().waitpid(pid, true); // it exits right after its answer
}
