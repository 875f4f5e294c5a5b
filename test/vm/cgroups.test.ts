/**
 * Real cgroup v2 limits, in the VM tier (npm run test:vm), where the test user has a delegated
 * subtree with cpu, io, memory and pids: an OOM kill reported as docker reports it, --cpus
 * seen in stats, a fork bomb held by --pids-limit, update of a running container, pause with
 * the freezer, and stats read from the containers' cgroups.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from '../integration/busybox.ts';
import { tsctr, type Sandbox } from '../integration/harness.ts';

const CGROUP2_MAGIC = 0x63677270;

const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => {
  ({ sb, image } = box);
  // These tests mean nothing outside the VM tier, and must not pass there by accident.
  expect(statfsSync('/sys/fs/cgroup').type, 'run through npm run test:vm').toBe(CGROUP2_MAGIC);
});

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const inspect = (name: string, format: string) =>
  tsctr(sb, ['inspect', '--format', format, name]).stdout.trim();

interface Row {
  CPUPerc: string;
  MemUsage: string;
  PIDs: string;
  Name: string;
}

function row(name: string): Row {
  const r = tsctr(sb, ['stats', '--no-stream', '--format', 'json', name]);
  expect(r.code).toBe(0);
  // Read from the cgroup: no note about /proc.
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Row;
}

describe('limits in a delegated cgroup v2', () => {
  it('kills a memory hog over --memory 32m: exit 137, OOMKilled true', () => {
    const r = tsctr(sb, [
      'run',
      '--name',
      'hog',
      '--memory',
      '32m',
      '--memory-swap',
      '32m',
      image,
      // dd itself is the container's first process: the OOM killer's SIGKILL is its end.
      'busybox',
      'dd',
      'if=/dev/zero',
      'of=/dev/null',
      'bs=64M',
      'count=1',
    ]);
    expect(r.code).toBe(137);
    expect(inspect('hog', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}')).toBe(
      'true 137 33554432',
    );
    // A container that ends on its own is not OOMKilled.
    expect(tsctr(sb, ['run', '--name', 'fine', '--memory', '32m', image, 'true']).code).toBe(0);
    expect(inspect('fine', '{{.State.OOMKilled}}')).toBe('false');
  });

  it('holds two CPU burners to half a CPU with --cpus 0.5', async () => {
    expect(
      tsctr(sb, [
        'run',
        '-d',
        '--name',
        'burn',
        '--cpus',
        '0.5',
        image,
        'sh',
        '-c',
        'while :; do :; done & while :; do :; done',
      ]).code,
    ).toBe(0);
    await sleep(4000);
    const cpu = parseFloat(row('burn').CPUPerc);
    expect(cpu).toBeGreaterThan(35);
    expect(cpu).toBeLessThan(65);
    expect(inspect('burn', '{{.HostConfig.NanoCpus}}')).toBe('500000000');
  });

  it('contains a fork bomb with --pids-limit 20, and stops it', async () => {
    expect(
      tsctr(sb, [
        'run',
        '-d',
        '--name',
        'bomb',
        '--pids-limit',
        '20',
        image,
        'sh',
        '-c',
        // The bomb is a subshell: when it can fork no more, the container goes on as sleep.
        '(while :; do sleep 100 & done) 2>/dev/null; exec sleep 1000',
      ]).code,
    ).toBe(0);
    await sleep(2000);
    expect(Number(row('bomb').PIDs)).toBeLessThanOrEqual(20);
    expect(Number(row('bomb').PIDs)).toBeGreaterThanOrEqual(15);
    const stop = tsctr(sb, ['stop', '-t', '1', 'bomb']);
    expect(stop.code).toBe(0);
    expect(inspect('bomb', '{{.State.Status}}')).toBe('exited');
  });

  it('changes the memory limit of a running container with update', () => {
    expect(
      tsctr(sb, ['run', '-d', '--name', 'grow', '--memory', '64m', image, 'sleep', '300']).code,
    ).toBe(0);
    expect(row('grow').MemUsage).toMatch(/ \/ 64MiB$/);
    const u = tsctr(sb, ['update', '--memory', '128m', '--memory-swap', '256m', 'grow']);
    expect(u).toMatchObject({ code: 0, stdout: 'grow\n' });
    expect(row('grow').MemUsage).toMatch(/ \/ 128MiB$/);
    expect(inspect('grow', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}')).toBe(
      `${128 * 2 ** 20} ${256 * 2 ** 20}`,
    );
  });

  it('freezes a container with pause, and thaws it with unpause', async () => {
    expect(
      tsctr(sb, [
        'run',
        '-d',
        '--name',
        'count',
        image,
        'sh',
        '-c',
        'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; done',
      ]).code,
    ).toBe(0);
    // Read through the writable layer, from outside: nothing joins the container.
    const upper = inspect('count', '{{.GraphDriver.Data.UpperDir}}');
    const raw = () => readFileSync(join(upper, 'tmp/n'), 'latin1');
    // The shell truncates the file before each write: a read may land in between.
    const n = async () => {
      for (let i = 0; i < 100; i++) {
        const v = raw().trim();
        if (v) return Number(v);
        await sleep(10);
      }
      return NaN;
    };
    await sleep(300);
    expect(tsctr(sb, ['pause', 'count']).code).toBe(0);
    expect(inspect('count', '{{.State.Status}}')).toBe('paused');
    // Frozen, even mid-write: the file stays exactly as it is.
    const frozen = raw();
    await sleep(1000);
    expect(raw()).toBe(frozen);
    expect(tsctr(sb, ['unpause', 'count']).code).toBe(0);
    const thawed = await n();
    await sleep(500);
    expect(await n()).toBeGreaterThan(thawed);
    expect(tsctr(sb, ['rm', '-f', 'count']).code).toBe(0);
  });

  it('writes the cpu, cpuset and io limits as crun does, and throttles writes to a device', () => {
    const args = [
      '--cpu-shares',
      '512',
      '--cpuset-cpus',
      '0',
      '--blkio-weight',
      '500',
      '--device-write-bps',
      '/dev/vda:1mb',
    ];
    expect(tsctr(sb, ['run', '-d', '--name', 'tuned', ...args, image, 'sleep', '300']).code).toBe(
      0,
    );
    const id = inspect('tuned', '{{.Id}}');
    const dir = execFileSync('find', ['/sys/fs/cgroup', '-type', 'd', '-name', id], {
      encoding: 'utf8',
    }).trim();
    expect(dir).toMatch(/\/user@\d+\.service\/tsctr\/[0-9a-f]{64}$/);
    const file = (f: string) => readFileSync(join(dir, f), 'utf8').trim();
    expect(file('cpu.weight')).toBe('59');
    expect(file('cpuset.cpus')).toBe('0');
    expect(file('io.weight')).toBe('default 4950');
    const vda = readFileSync('/sys/block/vda/dev', 'utf8').trim();
    expect(file('io.max')).toBe(`${vda} rbps=max wbps=1048576 riops=max wiops=max`);
    expect(file('pids.max')).toBe('2048');
    // 3 MiB through the page cache and an fsync, at 1 MiB/s: two seconds at least.
    const start = Date.now();
    const w = tsctr(sb, [
      'run',
      '--rm',
      '--device-write-bps',
      '/dev/vda:1mb',
      image,
      'busybox',
      'dd',
      'if=/dev/zero',
      'of=/big',
      'bs=1M',
      'count=3',
      'conv=fsync',
    ]);
    expect(w.code).toBe(0);
    expect(Date.now() - start).toBeGreaterThan(2000);
    expect(tsctr(sb, ['rm', '-f', 'tuned']).code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it("prints docker's stats columns from the containers' cgroups, with their limits", () => {
    expect(
      tsctr(sb, [
        'run',
        '-d',
        '--name',
        'small',
        '-m',
        '48m',
        '--pids-limit',
        '50',
        image,
        'sh',
        '-c',
        'sleep 300 & sleep 300',
      ]).code,
    ).toBe(0);
    const r = tsctr(sb, ['stats', '--no-stream', 'small', 'grow']);
    expect(r.stderr).toBe('');
    const [header, ...lines] = r.stdout.trim().split('\n');
    expect(header).toMatch(
      /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/,
    );
    expect(lines).toHaveLength(2);
    const small = lines[0]!.split(/ {2,}/);
    expect(small[1]).toBe('small');
    // memory.current less inactive file pages: more than nothing, well under the limit.
    expect(small[3]).toMatch(/^[\d.]+(KiB|MiB) \/ 48MiB$/);
    expect(parseFloat(small[4]!)).toBeLessThan(50);
    expect(small[7]).toBe('2');
    expect(lines[1]!.split(/ {2,}/)[3]).toMatch(/ \/ 128MiB$/);
  });

  it('puts the container and its exec sessions in its cgroup, and its monitor outside', () => {
    expect(tsctr(sb, ['run', '-d', '--name', 'placed', image, 'sleep', '300']).code).toBe(0);
    const id = inspect('placed', '{{.Id}}');
    const own = new RegExp(`^0::/user\\.slice/user-\\d+\\.slice/user@\\d+\\.service/tsctr/${id}$`);
    // No cgroup namespace: the container sees its cgroup's full path.
    expect(tsctr(sb, ['exec', 'placed', 'cat', '/proc/1/cgroup']).stdout.trim()).toMatch(own);
    expect(tsctr(sb, ['exec', 'placed', 'cat', '/proc/self/cgroup']).stdout.trim()).toMatch(own);
    const pid = inspect('placed', '{{.State.Pid}}');
    const monitor = readFileSync(`/proc/${pid}/status`, 'latin1').match(/^PPid:\s+(\d+)/m)![1];
    expect(readFileSync(`/proc/${monitor}/cgroup`, 'latin1').trim()).not.toContain(id);
    expect(tsctr(sb, ['info']).stdout).toMatch(
      / {2}Limits and stats: a cgroup per container under \S+\/user@\d+\.service\/tsctr \(cpuset cpu io memory pids\)\n/,
    );
    expect(tsctr(sb, ['rm', '-f', 'placed']).code).toBe(0);
  });
});
