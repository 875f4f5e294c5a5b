/**
 * Real cgroup v2 limits, in the VM tier (npm run test:vm), where the test user has a delegated
 * subtree with cpu, io, memory and pids: an OOM kill reported as docker reports it, --cpus
 * seen in stats, a fork bomb held by --pids-limit, update of a running container, pause with
 * the freezer, and stats read from the containers' cgroups.
 */
import { readFileSync, statfsSync } from 'node:fs';
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
    const n = () => Number(readFileSync(join(upper, 'tmp/n'), 'latin1').trim() || 0);
    await sleep(300);
    expect(tsctr(sb, ['pause', 'count']).code).toBe(0);
    expect(inspect('count', '{{.State.Status}}')).toBe('paused');
    const frozen = n();
    await sleep(1000);
    expect(n()).toBe(frozen);
    expect(tsctr(sb, ['unpause', 'count']).code).toBe(0);
    const thawed = n();
    await sleep(500);
    expect(n()).toBeGreaterThan(thawed);
    expect(tsctr(sb, ['rm', '-f', 'count']).code).toBe(0);
  });
});
