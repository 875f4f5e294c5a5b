/**
 * A container's resources as cgroup v2 interface files and the values to write, computed as
 * crun computes them from the OCI resources docker would pass: `--cpus` as a quota per 100 ms
 * period, `--cpu-shares` mapped onto cpu.weight by crun's curve, `--blkio-weight` mapped
 * linearly onto io.weight, `--memory-swap` (memory plus swap) as memory.swap.max (swap alone).
 */
import type { Resources } from '../../storage/resources.ts';

/** podman's default pids limit, applied where there is a pids controller and none was given. */
export const DEFAULT_PIDS_LIMIT = 2048;

const PERIOD = 100_000;

/**
 * crun's convert_shares_to_weight: a quadratic in log2(shares) through (2, 1), (1024, 100)
 * and (262144, 10000), so docker's default of 1024 shares is cgroup v2's default weight.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** crun's linear map of blkio weight [10, 1000] onto io.weight [1, 10000]. */
export const blkioToIoWeight = (w: number) => 1 + Math.trunc(((w - 10) * 9999) / 990);

/** What resolves a device path to "MAJ:MIN" for io.max. */
export type DeviceNumber = (path: string) => string;

/** The files to write, in order, with their values; the controllers they need. */
export function cgroupSettings(
  r: Resources,
  device: DeviceNumber,
): { file: string; value: string; controller: string }[] {
  const out: { file: string; value: string; controller: string }[] = [];
  const set = (controller: string, file: string, value: string | number) =>
    out.push({ file, value: String(value), controller });
  if (r.Memory > 0) set('memory', 'memory.max', r.Memory);
  if (r.MemoryReservation > 0) set('memory', 'memory.low', r.MemoryReservation);
  if (r.MemorySwap === -1) set('memory', 'memory.swap.max', 'max');
  else if (r.MemorySwap > 0 && r.Memory > 0)
    set('memory', 'memory.swap.max', r.MemorySwap - r.Memory);
  if (r.NanoCpus > 0) set('cpu', 'cpu.max', `${Math.round((r.NanoCpus / 1e9) * PERIOD)} ${PERIOD}`);
  else if (r.CpuQuota > 0 || r.CpuPeriod > 0) {
    set('cpu', 'cpu.max', `${r.CpuQuota > 0 ? r.CpuQuota : 'max'} ${r.CpuPeriod || PERIOD}`);
  }
  if (r.CpuShares > 0) set('cpu', 'cpu.weight', sharesToWeight(r.CpuShares));
  if (r.CpusetCpus) set('cpuset', 'cpuset.cpus', r.CpusetCpus);
  if (r.CpusetMems) set('cpuset', 'cpuset.mems', r.CpusetMems);
  set(
    'pids',
    'pids.max',
    r.PidsLimit === null ? DEFAULT_PIDS_LIMIT : r.PidsLimit > 0 ? r.PidsLimit : 'max',
  );
  if (r.BlkioWeight > 0) set('io', 'io.weight', blkioToIoWeight(r.BlkioWeight));
  const io = new Map<string, string[]>();
  const add = (list: { Path: string; Rate: number }[], key: string) => {
    for (const d of list) {
      const n = device(d.Path);
      io.set(n, [...(io.get(n) ?? []), `${key}=${d.Rate}`]);
    }
  };
  add(r.BlkioDeviceReadBps, 'rbps');
  add(r.BlkioDeviceWriteBps, 'wbps');
  add(r.BlkioDeviceReadIOps, 'riops');
  add(r.BlkioDeviceWriteIOps, 'wiops');
  for (const [n, keys] of io) set('io', 'io.max', `${n} ${keys.join(' ')}`);
  return out;
}
