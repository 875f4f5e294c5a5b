/**
 * The resource-limit flags of `run`/`create`, checked as the docker CLI and daemon check them
 * (docker's messages), into docker's HostConfig keys and units: `Memory` in bytes,
 * `NanoCpus` in billionths of a CPU, `BlkioDeviceReadBps` as [{Path, Rate}]. The daemon's
 * defaults are applied as it applies them: `MemorySwap` is twice `Memory` when only `Memory` is
 * given.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { TsctrError } from '../../errors.ts';
import { NO_RESOURCES, type Resources, type ThrottleDevice } from '../../storage/resources.ts';

export { NO_RESOURCES, type Resources, type ThrottleDevice };

/** The flags as typed. */
export interface LimitFlags {
  memory?: string | undefined;
  memoryReservation?: string | undefined;
  memorySwap?: string | undefined;
  cpus?: string | undefined;
  cpuShares?: string | undefined;
  cpuPeriod?: string | undefined;
  cpuQuota?: string | undefined;
  cpusetCpus?: string | undefined;
  cpusetMems?: string | undefined;
  pidsLimit?: string | undefined;
  blkioWeight?: string | undefined;
  deviceReadBps?: string[] | undefined;
  deviceWriteBps?: string[] | undefined;
  deviceReadIops?: string[] | undefined;
  deviceWriteIops?: string[] | undefined;
  oomKillDisable?: boolean | undefined;
}

/** A limit asked for: the flag as docker names it, and the cgroup v2 controller it needs. */
export interface Requested {
  flag: string;
  controller: 'memory' | 'cpu' | 'cpuset' | 'pids' | 'io';
}

export interface ParsedLimits {
  resources: Resources;
  requested: Requested[];
  /** Warnings docker prints for what it accepts but cannot honour. */
  warnings: string[];
}

const MIN_MEMORY = 6 * 1024 * 1024;

const flagError = (value: string, flag: string, why: string) =>
  new TsctrError(`invalid argument "${value}" for "${flag}" flag: ${why}`);

/** go-units RAMInBytes: 512m, 1g, 1.5GB, 100kib, bare bytes; binary multiples. */
export function ramInBytes(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(value);
  if (!m) throw flagError(value, flag, `invalid size: '${value}'`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[
    (m[2] ?? '').toLowerCase()
  ]!;
  return Math.trunc(Number.parseFloat(m[1]!) * mult);
}

function int(value: string, flag: string): number {
  if (!/^[+-]?\d+$/.test(value)) {
    throw flagError(value, flag, `strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  return Number(value);
}

/** docker's NanoCPUs.Set: a decimal (or a ratio) of CPUs, to whole nanoCPUs. */
function nanoCpus(value: string): number {
  const m = /^(\d*)(?:\.(\d*))?$|^(\d+)\/(\d+)$/.exec(value);
  if (!m || value === '' || value === '.') {
    throw flagError(value, '--cpus', `failed to parse ${value} as a rational number`);
  }
  if (m[3] !== undefined) {
    const nano = (Number(m[3]) * 1e9) / Number(m[4]);
    if (!Number.isInteger(nano)) throw flagError(value, '--cpus', 'value is too precise');
    return nano;
  }
  const frac = m[2] ?? '';
  if (frac.replace(/0+$/, '').length > 9) throw flagError(value, '--cpus', 'value is too precise');
  return Number(m[1] || 0) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
}

/** "0-2,4": a cpuset list's members; undefined when malformed. */
export function parseCpuset(list: string): number[] | undefined {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return undefined;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function readList(path: string): string {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return '';
  }
}

function checkCpuset(value: string, what: 'cpus' | 'mems'): string {
  const want = parseCpuset(value);
  if (!want) throw new TsctrError(`Invalid value ${value} for cpuset ${what}`);
  const online = readList(
    what === 'cpus' ? '/sys/devices/system/cpu/online' : '/sys/devices/system/node/online',
  );
  const have = parseCpuset(online || '0');
  const missing = want.filter((c) => !have?.includes(c));
  if (missing.length) {
    const label = what === 'cpus' ? 'CPUs' : 'Memory nodes';
    throw new TsctrError(
      `Requested ${label} are not available - requested ${value}, available: ${online || '0'}`,
    );
  }
  return value;
}

/** --device-read-bps /dev/sda:1mb, --device-write-iops /dev/sda:1000. */
function throttle(values: readonly string[], flag: string, bytes: boolean): ThrottleDevice[] {
  return values.map((v) => {
    const i = v.lastIndexOf(':');
    if (i < 0) throw flagError(v, flag, `bad format: ${v}`);
    const path = v.slice(0, i);
    const rate = v.slice(i + 1);
    if (!path.startsWith('/dev/')) throw flagError(v, flag, `bad format for device path: ${v}`);
    const format = bytes
      ? 'The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb'
      : 'The correct format is <device-path>:<number>. Number must be a positive integer';
    let n: number;
    try {
      n = bytes ? ramInBytes(rate, flag) : /^\d+$/.test(rate) ? Number(rate) : NaN;
    } catch {
      n = NaN;
    }
    if (!Number.isFinite(n) || n < 0) {
      throw flagError(v, flag, `invalid rate for device: ${v}. ${format}`);
    }
    return { Path: path, Rate: n };
  });
}

/**
 * `forUpdate`: the flags change a container's limits (`update`), so what is not given stays as
 * it is: no swap default, and `--memory-swap` alone is checked against the memory already set.
 */
export function parseLimits(f: LimitFlags, forUpdate = false): ParsedLimits {
  const r: Resources = {
    ...NO_RESOURCES,
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
  };
  const requested: Requested[] = [];
  const warnings: string[] = [];
  const ask = (flag: string, controller: Requested['controller']) =>
    requested.push({ flag, controller });

  if (f.memory !== undefined) {
    r.Memory = ramInBytes(f.memory, '-m, --memory');
    if (r.Memory > 0 && r.Memory < MIN_MEMORY) {
      throw new TsctrError('Minimum memory limit allowed is 6MB');
    }
    if (r.Memory) ask('--memory', 'memory');
  }
  if (f.memoryReservation !== undefined) {
    r.MemoryReservation = ramInBytes(f.memoryReservation, '--memory-reservation');
    if (r.MemoryReservation > 0 && r.MemoryReservation < MIN_MEMORY) {
      throw new TsctrError('Minimum memory reservation allowed is 6MB');
    }
    if (r.MemoryReservation) ask('--memory-reservation', 'memory');
  }
  if (f.memorySwap !== undefined) {
    r.MemorySwap = f.memorySwap === '-1' ? -1 : ramInBytes(f.memorySwap, '--memory-swap');
    if (r.MemorySwap && !r.Memory && !forUpdate) {
      throw new TsctrError(
        'You should always set the Memory limit when using Memoryswap limit, see usage',
      );
    }
    if (r.MemorySwap > 0 && r.MemorySwap < r.Memory) {
      throw new TsctrError(
        'Minimum memoryswap limit should be larger than memory limit, see usage',
      );
    }
    if (r.MemorySwap) ask('--memory-swap', 'memory');
  }
  if (r.Memory && r.MemoryReservation && r.Memory < r.MemoryReservation) {
    throw new TsctrError(
      'Minimum memory limit can not be less than memory reservation limit, see usage',
    );
  }
  // The daemon's default: as much swap again as memory.
  if (r.Memory > 0 && r.MemorySwap === 0 && !forUpdate) r.MemorySwap = r.Memory * 2;

  if (f.cpus !== undefined) {
    r.NanoCpus = nanoCpus(f.cpus);
    const cpus = availableParallelism();
    if (r.NanoCpus && (r.NanoCpus < 1e7 || r.NanoCpus > cpus * 1e9)) {
      throw new TsctrError(
        `Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`,
      );
    }
    if (r.NanoCpus) ask('--cpus', 'cpu');
  }
  if (f.cpuPeriod !== undefined) {
    r.CpuPeriod = int(f.cpuPeriod, '--cpu-period');
    if (r.CpuPeriod && r.NanoCpus) {
      throw new TsctrError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    }
    if (r.CpuPeriod && (r.CpuPeriod < 1000 || r.CpuPeriod > 1_000_000)) {
      throw new TsctrError(
        'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
      );
    }
    if (r.CpuPeriod) ask('--cpu-period', 'cpu');
  }
  if (f.cpuQuota !== undefined) {
    r.CpuQuota = int(f.cpuQuota, '--cpu-quota');
    if (r.CpuQuota && r.NanoCpus) {
      throw new TsctrError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    }
    if (r.CpuQuota > 0 && r.CpuQuota < 1000) {
      throw new TsctrError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
    }
    if (r.CpuQuota > 0) ask('--cpu-quota', 'cpu');
  }
  if (f.cpuShares !== undefined) {
    r.CpuShares = int(f.cpuShares, '-c, --cpu-shares');
    if (r.CpuShares < 0) throw new TsctrError('shares: invalid argument');
    if (r.CpuShares) ask('--cpu-shares', 'cpu');
  }
  if (f.cpusetCpus !== undefined && f.cpusetCpus !== '') {
    r.CpusetCpus = checkCpuset(f.cpusetCpus, 'cpus');
    ask('--cpuset-cpus', 'cpuset');
  }
  if (f.cpusetMems !== undefined && f.cpusetMems !== '') {
    r.CpusetMems = checkCpuset(f.cpusetMems, 'mems');
    ask('--cpuset-mems', 'cpuset');
  }
  if (f.pidsLimit !== undefined) {
    r.PidsLimit = int(f.pidsLimit, '--pids-limit');
    if (r.PidsLimit > 0) ask('--pids-limit', 'pids');
  }
  if (f.blkioWeight !== undefined) {
    const w = int(f.blkioWeight, '--blkio-weight');
    if (w !== 0 && (w < 10 || w > 1000)) {
      throw new TsctrError('Range of blkio weight is from 10 to 1000');
    }
    r.BlkioWeight = w;
    if (w) ask('--blkio-weight', 'io');
  }
  const devices: [keyof Resources, string[] | undefined, string, boolean][] = [
    ['BlkioDeviceReadBps', f.deviceReadBps, '--device-read-bps', true],
    ['BlkioDeviceWriteBps', f.deviceWriteBps, '--device-write-bps', true],
    ['BlkioDeviceReadIOps', f.deviceReadIops, '--device-read-iops', false],
    ['BlkioDeviceWriteIOps', f.deviceWriteIops, '--device-write-iops', false],
  ];
  for (const [key, values, flag, bytes] of devices) {
    const list = throttle(values ?? [], flag, bytes);
    (r[key] as ThrottleDevice[]).push(...list);
    if (list.length) ask(flag, 'io');
  }
  if (f.oomKillDisable) {
    r.OomKillDisable = true;
    // cgroup v2 has no switch for the OOM killer, as docker says there.
    warnings.push(
      'WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded.',
    );
    if (!r.Memory) {
      warnings.push(
        "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.",
      );
    }
  }
  return { resources: r, requested, warnings };
}
