/**
 * The user networks' keeper (native/monitor/keeper.h): found through its socket, or started.
 * A container joining user networks first takes a hold (a HOLD membership), so the keeper cannot
 * leave between now and its monitor's own membership; the keeper's pid and start time name the
 * user namespace that monitor joins.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { ensurePrivateDir, type StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { FileLock } from '../storage/lock.ts';
import { currentIdMap } from '../userns/idmap.ts';
import { whichHelper } from '../netns/which.ts';
import { findPasta, pastaArgs } from '../netns/pasta.ts';
import { findSlirp4netns, slirpArgs } from '../netns/slirp.ts';
import { HOST_PROXY_PORT, natCommands, OUT_IFNAME } from '../netns/user-networks.ts';
import { hostAddress, hostLoopbackAllowed } from '../netns/dns.ts';
import { readTextOr } from '../userns/read-text.ts';
import { connectMonitor } from './attach.ts';
import { startKeeper } from './monitor.ts';

export interface KeeperHold {
  pid: number;
  start: string;
  socket: string;
  /** The helper the keeper runs: where the containers' DNS and host names come from. */
  helper: 'pasta' | 'slirp4netns';
  /**
   * Ends the hold and the lock (a container's monitor holds its own membership by then). The
   * lock lasts until the container has started, so an address allocated to a container that
   * is not running yet is not given to another.
   */
  release(): void;
}

export function keeperDir(paths: StatePaths): string {
  return join(paths.runroot, 'netns');
}

/** Ask a running keeper for a hold; undefined when there is none (or it is leaving). */
async function hold(
  socketPath: string,
): Promise<{ sock: Socket; pid: number; start: string } | undefined> {
  let sock: Socket;
  try {
    sock = await connectMonitor(socketPath);
  } catch {
    return undefined;
  }
  const reply = await new Promise<string | undefined>((resolve) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    sock.on('close', () => resolve(undefined));
    sock.on('error', () => resolve(undefined));
    sock.write('HOLD\n');
  });
  const [word, pid, start] = reply?.split(' ') ?? [];
  if (word !== 'OK' || !pid || !start) {
    sock.destroy();
    return undefined;
  }
  sock.removeAllListeners('data');
  sock.pause();
  return { sock, pid: Number(pid), start };
}

/**
 * A hold on the keeper, started when there is none. `locked` runs while the keeper lock is still
 * held (address allocation happens there, so two starts never pick one address).
 */
export async function holdKeeper<T>(
  paths: StatePaths,
  locked: (k: Omit<KeeperHold, 'release'>) => T,
): Promise<{ keeper: KeeperHold; result: T }> {
  const dir = keeperDir(paths);
  ensurePrivateDir(paths.runroot);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = join(dir, 'keeper.sock');
  const lock = await FileLock.acquire(join(dir, 'keeper.lock'), { exclusive: true });
  try {
    const helper = keeperHelper();
    let h = await hold(socket);
    if (!h) {
      const specFile = join(dir, 'keeper.spec');
      writeFileSync(specFile, keeperSpec(dir, socket, helper));
      await startKeeper(specFile, currentIdMap());
      h = await hold(socket);
      if (!h) throw new TsctrError('the network keeper started but does not answer');
    }
    const k = { pid: h.pid, start: h.start, socket, helper } as const;
    const sock = h.sock;
    let result: T;
    try {
      result = locked(k);
    } catch (err) {
      sock.destroy();
      throw err;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      sock.destroy();
      lock.release();
    };
    return { keeper: { ...k, release }, result };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * The keeper's way out: slirp4netns where it is installed, else pasta; TSCTR_BRIDGE_HELPER
 * picks one. Measured here (`run --rm` on a network whose keeper is not running yet, against
 * `--network none`): slirp4netns added ~4 ms and pasta ~34 ms (its start), and slirp4netns
 * keeps 3.3 MiB resident against pasta's 31 MiB. pasta moves more (container to host 2.8 GB/s
 * against 0.6 in bench:network, one container each), which TSCTR_BRIDGE_HELPER=pasta buys.
 */
export function keeperHelper(env = process.env): 'pasta' | 'slirp4netns' {
  const wanted = env.TSCTR_BRIDGE_HELPER;
  if (wanted === 'pasta' || wanted === 'slirp4netns') return wanted;
  if (wanted) {
    throw new TsctrError(`TSCTR_BRIDGE_HELPER=${wanted}: want pasta or slirp4netns`);
  }
  return whichHelper('slirp4netns', env) || !whichHelper('pasta', env) ? 'slirp4netns' : 'pasta';
}

/** The keeper's spec: its helper on its own namespace (as a container's monitor runs it). */
function keeperSpec(dir: string, socket: string, helper: 'pasta' | 'slirp4netns'): Buffer {
  const t = ['version', '1', 'clone-flags', '0'];
  const noHostLoopback = !hostLoopbackAllowed();
  if (helper === 'pasta') {
    const pidFile = join(dir, 'pasta.pid');
    t.push('net-helper', findPasta(), 'net-log', join(dir, 'pasta.log'), 'net-pidfile', pidFile);
    for (const a of pastaArgs({ ports: [], pidFile, ifname: OUT_IFNAME, noHostLoopback })) {
      t.push('net-arg', a);
    }
  } else {
    t.push('net-helper', findSlirp4netns(), 'net-log', join(dir, 'slirp4netns.log'));
    t.push('net-ready-fd', 'net-exit-fd');
    for (const a of slirpArgs({ noHostLoopback })) t.push('net-arg', a);
  }
  t.push('keeper-listen', socket, 'keeper-proxy', String(HOST_PROXY_PORT));
  const host = hostAddress({ mode: helper, ownNetns: true, helper }, () =>
    readTextOr('/proc/net/route'),
  );
  // pasta on a host with no default route has no gateway to map to the host: no proxy rule.
  for (const cmd of natCommands(host ?? '').slice(0, host && !noHostLoopback ? 2 : 1)) {
    for (const a of cmd) t.push('keeper-setup', a);
    t.push('keeper-setup-end');
  }
  return Buffer.from(t.map((x) => x + '\0').join(''));
}
