/**
 * `stats`: each container's CPU %, memory, network and block I/O and tasks, computed as the
 * docker CLI computes them (cli/command/container/stats_helpers.go), one frame per refresh.
 *
 * - CPU % is CPU time over wall time ×100, so a container keeping two cores busy shows 200 %
 *   (docker's Δusage/Δsystem × online CPUs is the same ratio). The first frame has no earlier
 *   sample to subtract: it averages since the container started, as podman's does, so that
 *   `--no-stream` answers at once instead of after a second's sampling.
 * - Memory % is usage over the limit; without a limit the limit is the host's RAM.
 * - NET I/O sums the interfaces of the container's network namespace but loopback
 *   (../../netns/counters.ts); a `--network host` container has none of its own.
 *
 * A container with a cgroup (./cgroup.ts) is read from it; one without (this host delegates
 * none) from /proc (./proc.ts), and then the frame carries a note saying so.
 */
import type { StatePaths } from '../../config/paths.ts';
import { cgroupHost, noDelegationReason } from '../../host/cgroups.ts';
import { readNetBytes } from '../../netns/counters.ts';
import {
  listContainers,
  readInit,
  sameProcess,
  type ContainerRecord,
} from '../../storage/containers.ts';
import { lookupContainer, noSuchContainer } from '../inspect.ts';
import { recordedCgroup } from '../cgroups/index.ts';
import { cgroupUsage, type CgroupUsage } from './cgroup.ts';
import { hostMemory, procUsage, uptimeSeconds, USER_HZ } from './proc.ts';

/** One row: docker's StatsEntry. */
export interface StatsEntry {
  /** What the user named the container by, or its full ID when listing all. */
  container: string;
  id: string;
  name: string;
  cpuPercent: number;
  memory: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

export interface StatsFrame {
  entries: StatsEntry[];
  /** Where the figures come from when not from the containers' cgroups. */
  note?: string;
}

export interface StatsOptions {
  /** The containers named; empty for every running one (every one with `all`). */
  containers: readonly string[];
  all: boolean;
  /** Keep refreshing (docker's default) rather than one frame. */
  stream: boolean;
  /** Time between frames in ms; docker redraws every second or so. */
  intervalMs?: number;
}

interface Running {
  rec: ContainerRecord;
  pid: number;
  /** The init's start, in seconds since boot. */
  startedAt: number;
  /** Its cgroup's figures, when it has a cgroup to read. */
  cgroup?: CgroupUsage;
}

/**
 * The container's init while it runs. No look at the exit file first: the monitor writes it only
 * once it has reaped the init, whose pid then names no process or another one (another start
 * time), and the RUNNING line of a run that has ended is never the live process.
 */
function runningInit(paths: StatePaths, rec: ContainerRecord): Running | undefined {
  const st = readInit(paths, rec.id);
  if (!st || !(st.pid > 0)) return undefined;
  const run = { rec, pid: st.pid, startedAt: Number(st.pidStart ?? 0) / USER_HZ };
  // The init is pid 1 of its own pid namespace (spec.ts): when it ends the kernel kills the
  // rest, and its cgroup empties (the monitor is outside it). Tasks in the cgroup are proof of
  // the run, which spares a read of /proc/PID/stat for each container; a cgroup that is gone,
  // or counts no tasks (no pids controller), leaves the question to /proc. The monitor records
  // the run's cgroup with its pid; the container's own record of it is older monitors' way.
  const dir = st.cgroup === undefined ? recordedCgroup(paths, rec.id) : st.cgroup;
  const cgroup = dir ? cgroupUsage(dir) : undefined;
  if (cgroup?.counted) return cgroup.pids > 0 ? { ...run, cgroup } : undefined;
  if (!sameProcess(st.pid, st.pidStart)) return undefined;
  return cgroup ? { ...run, cgroup } : run;
}

const zero = (rec: ContainerRecord, container: string): StatsEntry => ({
  container,
  id: rec.id,
  name: rec.name,
  cpuPercent: 0,
  memory: 0,
  memoryLimit: 0,
  memoryPercent: 0,
  netRx: 0,
  netTx: 0,
  blockRead: 0,
  blockWrite: 0,
  pids: 0,
});

/**
 * Frames of stats, one per refresh (one in all without `stream`). Named containers are looked
 * up once, and a missing one fails before the first frame; without names the set is listed
 * again each time, so containers appear as they start and leave as they stop.
 */
export async function* watchStats(
  paths: StatePaths,
  opts: StatsOptions,
): AsyncGenerator<StatsFrame> {
  const named = opts.containers.map((input) => {
    const rec = lookupContainer(paths, input);
    if (!rec) throw noSuchContainer(input);
    return { rec, input };
  });
  // Asked only when a container has no cgroup to read, which on a delegated host is never.
  let note: string | undefined | null = null;
  const noteOnProc = () => {
    if (note !== null) return note;
    const reason = noDelegationReason(cgroupHost());
    return (note = reason && `stats from /proc for each container's processes: ${reason}`);
  };
  const limit = hostMemory();
  /**
   * docker's limit: the cgroup's, capped at the host's RAM. A cgroup's memory.max is what
   * `--memory` (or `update --memory`, which saves it in the record too) wrote there, so the
   * record answers without a read of it per container; without a cgroup nothing limits it.
   */
  const cap = (rec: ContainerRecord, run: Running) => {
    const max = run.cgroup ? rec.hostConfig.Memory : 0;
    return max && max > 0 ? Math.min(max, limit) : limit;
  };
  /** CPU time and when it was read, per container, for the next frame's difference. */
  const last = new Map<string, { cpuNs: number; at: number }>();
  /** Docker's row order: as first seen, new containers last. */
  let order: string[] = [];
  for (;;) {
    let targets: { rec: ContainerRecord; input: string; run: Running | undefined }[];
    if (named.length) {
      targets = named.map((t) => ({ ...t, run: runningInit(paths, t.rec) }));
    } else {
      const recs = listContainers(paths)
        .map((rec) => ({ rec, input: rec.id, run: runningInit(paths, rec) }))
        .filter((t) => opts.all || t.run)
        .sort((a, b) => (a.rec.created < b.rec.created ? 1 : -1));
      const byId = new Map(recs.map((t) => [t.rec.id, t]));
      order = order.filter((id) => byId.has(id));
      for (const t of recs) if (!order.includes(t.rec.id)) order.push(t.rec.id);
      targets = order.map((id) => byId.get(id)!);
    }
    // A container without cgroup figures (none, or gone) is read from /proc.
    const usage = procUsage(targets.flatMap((t) => (t.run && !t.run.cgroup ? [t.run.pid] : [])));
    const fromProc = targets.some((t) => t.run && !t.run.cgroup);
    const now = uptimeSeconds();
    const entries = targets.map(({ rec, input, run }): StatsEntry => {
      const u = run && (run.cgroup ?? usage.get(run.pid));
      if (!run || !u) {
        last.delete(rec.id);
        return zero(rec, input);
      }
      const prev = last.get(rec.id) ?? { cpuNs: 0, at: run.startedAt };
      last.set(rec.id, { cpuNs: u.cpuNs, at: now });
      const wall = (now - prev.at) * 1e9;
      const cpuDelta = u.cpuNs - prev.cpuNs;
      const memoryLimit = cap(rec, run);
      const net = (rec.hostConfig.NetworkMode !== 'host' && readNetBytes(run.pid)) || {
        rxBytes: 0,
        txBytes: 0,
      };
      return {
        container: input,
        id: rec.id,
        name: rec.name,
        cpuPercent: wall > 0 && cpuDelta > 0 ? (cpuDelta / wall) * 100 : 0,
        memory: u.memoryBytes,
        memoryLimit,
        memoryPercent: memoryLimit ? (u.memoryBytes / memoryLimit) * 100 : 0,
        netRx: net.rxBytes,
        netTx: net.txBytes,
        blockRead: u.blockRead,
        blockWrite: u.blockWrite,
        pids: u.pids,
      };
    });
    const why = fromProc ? noteOnProc() : undefined;
    yield why ? { entries, note: why } : { entries };
    if (!opts.stream) return;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
}
