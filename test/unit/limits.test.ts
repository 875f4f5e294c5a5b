import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configIgnoresLimits } from '../../src/config/settings.ts';
import type { CgroupHost } from '../../src/host/cgroups.ts';
import { parseLimits, ramInBytes } from '../../src/runtime/limits/parse.ts';
import { checkLimits } from '../../src/runtime/limits/policy.ts';
import { knownScope } from '../../src/runtime/cgroups/systemd.ts';
import {
  blkioToIoWeight,
  cgroupSettings,
  DEFAULT_PIDS_LIMIT,
  sharesToWeight,
} from '../../src/runtime/cgroups/settings.ts';

describe('limit flags', () => {
  it("reads sizes as go-units' RAMInBytes does", () => {
    expect(ramInBytes('512m', '-m')).toBe(512 * 2 ** 20);
    expect(ramInBytes('1g', '-m')).toBe(2 ** 30);
    expect(ramInBytes('1.5GB', '-m')).toBe(1.5 * 2 ** 30);
    expect(ramInBytes('100kib', '-m')).toBe(102400);
    expect(ramInBytes('4096', '-m')).toBe(4096);
    expect(() => ramInBytes('12x', '-m, --memory')).toThrow(
      `invalid argument "12x" for "-m, --memory" flag: invalid size: '12x'`,
    );
  });

  it("keeps docker's HostConfig keys and units, with the daemon's swap default", () => {
    const { resources: r, requested } = parseLimits({
      memory: '32m',
      cpus: '0.5',
      pidsLimit: '20',
      cpuShares: '512',
      memoryReservation: '16m',
      blkioWeight: '300',
      deviceReadBps: ['/dev/sda:1mb'],
      deviceWriteIops: ['/dev/sda:100'],
      cpusetCpus: '0',
    });
    expect(r).toMatchObject({
      Memory: 32 * 2 ** 20,
      MemorySwap: 64 * 2 ** 20,
      MemoryReservation: 16 * 2 ** 20,
      NanoCpus: 500_000_000,
      PidsLimit: 20,
      CpuShares: 512,
      BlkioWeight: 300,
      BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 2 ** 20 }],
      BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 100 }],
      CpusetCpus: '0',
    });
    expect(requested.map((q) => `${q.flag}:${q.controller}`)).toEqual([
      '--memory:memory',
      '--memory-reservation:memory',
      '--cpus:cpu',
      '--cpu-shares:cpu',
      '--cpuset-cpus:cpuset',
      '--pids-limit:pids',
      '--blkio-weight:io',
      '--device-read-bps:io',
      '--device-write-iops:io',
    ]);
    expect(parseLimits({ memory: '1g', memorySwap: '-1' }).resources.MemorySwap).toBe(-1);
    expect(parseLimits({ cpus: '1/4' }).resources.NanoCpus).toBe(250_000_000);
    // Values that mean "no limit" ask for nothing.
    expect(parseLimits({ pidsLimit: '-1', memory: '0', cpus: '0' }).requested).toEqual([]);
  });

  it("refuses what docker refuses, with docker's words", () => {
    const cases: [Parameters<typeof parseLimits>[0], string][] = [
      [{ memory: '4m' }, 'Minimum memory limit allowed is 6MB'],
      [{ memorySwap: '1g' }, 'You should always set the Memory limit when using Memoryswap limit'],
      [
        { memory: '1g', memorySwap: '512m' },
        'Minimum memoryswap limit should be larger than memory limit',
      ],
      [
        { memory: '64m', memoryReservation: '128m' },
        'Minimum memory limit can not be less than memory reservation limit',
      ],
      [
        { cpus: 'lots' },
        'invalid argument "lots" for "--cpus" flag: failed to parse lots as a rational number',
      ],
      [{ cpus: '0.0000000001' }, 'value is too precise'],
      [{ cpus: '512' }, 'Range of CPUs is from 0.01 to '],
      [
        { cpus: '1', cpuPeriod: '50000' },
        'Conflicting options: Nano CPUs and CPU Period cannot both be set',
      ],
      [
        { cpus: '1', cpuQuota: '50000' },
        'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
      ],
      [
        { cpuPeriod: '10' },
        'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s',
      ],
      [{ cpuQuota: '10' }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)'],
      [{ blkioWeight: '5' }, 'Range of blkio weight is from 10 to 1000'],
      [{ cpusetCpus: '1-0' }, 'Invalid value 1-0 for cpuset cpus'],
      [{ cpusetCpus: '4096' }, 'Requested CPUs are not available - requested 4096, available: '],
      [{ deviceReadBps: ['sda:1mb'] }, 'bad format for device path: sda:1mb'],
      [{ deviceReadBps: ['/dev/sda'] }, 'bad format: /dev/sda'],
      [
        { deviceReadIops: ['/dev/sda:1mb'] },
        'invalid rate for device: /dev/sda:1mb. The correct format is <device-path>:<number>. Number must be a positive integer',
      ],
      [{ pidsLimit: 'ten' }, 'invalid argument "ten" for "--pids-limit" flag'],
    ];
    for (const [flags, message] of cases) expect(() => parseLimits(flags)).toThrow(message);
  });

  it('warns as docker does on cgroup v2 about --oom-kill-disable', () => {
    expect(parseLimits({ oomKillDisable: true }).warnings).toEqual([
      'WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded.',
      "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.",
    ]);
  });
});

const host = (h: Partial<CgroupHost>): CgroupHost => ({
  hierarchy: '2',
  mount: '/sys/fs/cgroup',
  own: '/user.slice/user-1000.slice/user@1000.service/app.slice',
  controllers: ['cpu', 'memory', 'pids'],
  writable: true,
  ...h,
});

describe('limits on a host that cannot apply them', () => {
  const memory = parseLimits({ memory: '32m', cpus: '0.5' }).requested;

  it('are refused with the reason and the fix', async () => {
    let err: { message: string; hint: string; exitCode: number } | undefined;
    try {
      await checkLimits(
        memory,
        false,
        host({ hierarchy: 'hybrid', controllers: [], writable: false }),
      );
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.exitCode).toBe(125);
    expect(err?.message).toBe(
      '--memory, --cpus: resource limits need cgroup v2 controllers delegated to you: this host mounts cgroup v1 and v2 together, with no v2 controllers',
    );
    expect(err?.hint).toContain('systemd.unified_cgroup_hierarchy=1');
    expect(err?.hint).toContain('--ignore-limits');
    expect(err?.hint).toContain('"ignore-limits": true in ~/.config/tsctr/config.json');
  });

  it('name the controllers that are missing, and the drop-in that delegates them', async () => {
    const io = parseLimits({ blkioWeight: '500', cpusetCpus: '0' }).requested;
    const have = async () => ({ controllers: ['cpu', 'memory', 'pids'] });
    await expect(checkLimits(io, false, host({}), have)).rejects.toThrow(
      'the cpuset, io controllers are not delegated to you (your cgroup has: cpu memory pids)',
    );
    await expect(checkLimits(io, false, host({}), have)).rejects.toHaveProperty(
      'hint',
      expect.stringContaining('Delegate=cpu cpuset io memory pids'),
    );
  });

  it('become one warning when the user opts out of them', async () => {
    expect(
      await checkLimits(memory, true, host({ hierarchy: '1', mount: '', controllers: [] })),
    ).toBe('WARNING: resource limits ignored (--memory, --cpus): this host has cgroup v1 only');
    expect(await checkLimits([], false, host({ hierarchy: '1' }))).toBeUndefined();
    // Everything delegated: nothing to say.
    expect(
      await checkLimits(memory, false, host({}), async () => ({ controllers: ['cpu', 'memory'] })),
    ).toBeUndefined();
    await expect(
      checkLimits(memory, false, host({}), async () => ({ none: 'D holds processes' })),
    ).rejects.toThrow('need cgroup v2 controllers delegated to you: D holds processes');
  });

  it('are opted out of by "ignore-limits" in config.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsctr-conf-'));
    const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'cfg') };
    expect(configIgnoresLimits(env)).toBe(false);
    mkdirSync(join(dir, 'cfg/tsctr'), { recursive: true });
    writeFileSync(join(dir, 'cfg/tsctr/config.json'), '{"ignore-limits": true}');
    expect(configIgnoresLimits(env)).toBe(true);
    writeFileSync(join(dir, 'cfg/tsctr/config.json'), '{"ignore-limits": "yes"}');
    expect(() => configIgnoresLimits(env)).toThrow('"ignore-limits" in');
    writeFileSync(join(dir, 'cfg/tsctr/config.json'), '{"registry-mirrors": []}');
    expect(configIgnoresLimits(env)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('cgroup v2 files for the limits', () => {
  it("map cpu shares onto cpu.weight with crun's curve, and blkio weight linearly", () => {
    expect([2, 512, 1024, 2048, 262144].map(sharesToWeight)).toEqual([1, 59, 100, 174, 10000]);
    expect([10, 500, 1000].map(blkioToIoWeight)).toEqual([1, 4950, 10000]);
  });

  it('write what crun writes for docker’s flags', () => {
    const { resources } = parseLimits({
      memory: '32m',
      memoryReservation: '16m',
      cpus: '0.5',
      cpuShares: '512',
      pidsLimit: '20',
      blkioWeight: '500',
      deviceReadBps: ['/dev/vda:1mb'],
      deviceReadIops: ['/dev/vda:100'],
    });
    const files = cgroupSettings(resources, () => '254:0').map((s) => `${s.file}=${s.value}`);
    expect(files).toEqual([
      `memory.max=${32 * 2 ** 20}`,
      `memory.low=${16 * 2 ** 20}`,
      `memory.swap.max=${32 * 2 ** 20}`,
      'cpu.max=50000 100000',
      'cpu.weight=59',
      'pids.max=20',
      'io.weight=4950',
      'io.max=254:0 rbps=1048576 riops=100',
    ]);
  });

  it("apply podman's default pids limit, and none for -1", () => {
    const pids = (flags: Parameters<typeof parseLimits>[0]) =>
      cgroupSettings(parseLimits(flags).resources, () => '0:0').find((s) => s.file === 'pids.max')
        ?.value;
    expect(pids({})).toBe(String(DEFAULT_PIDS_LIMIT));
    expect(pids({ pidsLimit: '-1' })).toBe('max');
    expect(
      cgroupSettings(
        parseLimits({ cpuQuota: '25000', cpuPeriod: '50000', memory: '1g', memorySwap: '-1' })
          .resources,
        () => '',
      )
        .filter((s) => s.file !== 'pids.max')
        .map((s) => `${s.file}=${s.value}`),
    ).toEqual([`memory.max=${2 ** 30}`, 'memory.swap.max=max', 'cpu.max=25000 50000']);
  });
});

describe("systemd's scope, once made", () => {
  it('is found from its record while it has processes, and not after systemd removed it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsctr-scope-'));
    const runtime = join(dir, 'run');
    const scope = join(dir, 'cg/app.slice/tsctr.scope');
    mkdirSync(join(runtime, 'tsctr'), { recursive: true });
    mkdirSync(scope, { recursive: true });
    expect(knownScope(runtime)).toBeUndefined();
    writeFileSync(join(runtime, 'tsctr/cgroup-scope'), `${scope}\n`);
    writeFileSync(join(scope, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    expect(knownScope(runtime)).toBe(scope);
    // Emptied (holder killed, no containers): systemd stops the scope, so a new one is made.
    writeFileSync(join(scope, 'cgroup.events'), 'populated 0\nfrozen 0\n');
    expect(knownScope(runtime)).toBeUndefined();
    rmSync(scope, { recursive: true });
    expect(knownScope(runtime)).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});
