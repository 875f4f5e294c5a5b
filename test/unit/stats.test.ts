import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupUsage, keyed, summed } from '../../src/runtime/stats/cgroup.ts';
import { redraw, renderStats, statsRow } from '../../src/cli/stats-view.ts';
import { binarySize } from '../../src/format/index.ts';
import type { StatsEntry } from '../../src/runtime/stats/index.ts';

describe('binarySize (go-units BytesSize)', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KiB'],
    [1536, '1.5KiB'],
    [734 * 1024, '734KiB'],
    [41.9 * 1024 * 1024, '41.9MiB'],
    [25_270_000_000, '23.53GiB'],
    [1024 ** 3 - 1, '1024MiB'],
  ])('%d → %s', (bytes, want) => {
    expect(binarySize(bytes)).toBe(want);
  });
});

const entry: StatsEntry = {
  container: 'web',
  id: '6b919965b97c1c0b0ad8e62b0cb8a1c3c9d2e0b9a4a2d0e2f1f3a4b5c6d7e8f9',
  name: 'web',
  cpuPercent: 98.6149,
  memory: 752_000,
  memoryLimit: 25_270_000_000,
  memoryPercent: 0.00298,
  netRx: 1650,
  netTx: 426,
  blockRead: 1_050_000,
  blockWrite: 8192,
  pids: 3,
};

describe("stats' rows", () => {
  it("gives a template docker's strings", () => {
    expect(statsRow(entry, false)).toEqual({
      Container: 'web',
      Name: 'web',
      ID: '6b919965b97c',
      CPUPerc: '98.61%',
      MemUsage: '734.4KiB / 23.53GiB',
      MemPerc: '0.00%',
      NetIO: '1.65kB / 426B',
      BlockIO: '1.05MB / 8.19kB',
      PIDs: '3',
    });
    expect(statsRow({ ...entry, name: '' }, true)).toMatchObject({ Name: '--', ID: entry.id });
  });

  it("prints docker's table and JSON", () => {
    expect(renderStats([entry], undefined, false)).toBe(
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT     MEM %     NET I/O         BLOCK I/O         PIDS\n' +
        '6b919965b97c   web       98.61%    734.4KiB / 23.53GiB   0.00%     1.65kB / 426B   1.05MB / 8.19kB   3\n',
    );
    expect(JSON.parse(renderStats([entry], 'json', false))).toEqual(statsRow(entry, false));
  });

  it('redraws a frame over the last one', () => {
    expect(redraw('A\nB\n')).toBe('\x1b[HA\x1b[K\nB\x1b[K\n\x1b[J');
  });
});

describe('stats from a cgroup v2 directory', () => {
  it("reads docker's figures: usage without inactive file pages, io over all devices", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsctr-cg-'));
    const files: Record<string, string> = {
      'cpu.stat': 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n',
      'memory.current': '10485760\n',
      'memory.stat': 'anon 6291456\nfile 4194304\nactive_file 1048576\ninactive_file 3145728\n',
      'io.stat':
        '254:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n8:0 rbytes=24 wbytes=48 rios=1 wios=1 dbytes=0 dios=0\n',
      'pids.current': '7\n',
    };
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
    expect(cgroupUsage(dir)).toEqual({
      cpuNs: 2_500_000_000,
      memoryBytes: 10485760 - 3145728,
      blockRead: 1024,
      blockWrite: 2048,
      pids: 7,
      processes: 0,
      counted: true,
    });
    // Without the pids controller the tasks go uncounted, which is not the same as none.
    rmSync(join(dir, 'pids.current'));
    expect(cgroupUsage(dir)).toMatchObject({ pids: 0, counted: false });
    rmSync(dir, { recursive: true, force: true });
    // A cgroup removed meanwhile: no usage, so that the caller reads /proc instead.
    expect(cgroupUsage(dir)).toBeUndefined();
  });

  it('finds a key only where a line starts with it, and a sum only where a word does', () => {
    const stat = 'total_inactive_file 9\ninactive_file 3145728\nactive_file 1\n';
    expect(keyed(stat, 'inactive_file')).toBe(3145728);
    expect(keyed('inactive_file 5', 'inactive_file')).toBe(5);
    expect(keyed('usage_usec 12\nuser_usec 7\n', 'usage_usec')).toBe(12);
    expect(keyed('active_file 1\n', 'inactive_file')).toBe(0);
    expect(keyed('', 'usage_usec')).toBe(0);
    const io = '8:0 rbytes=10 wbytes=20 xrbytes=500\n8:16 rbytes=1 wbytes=2 dbytes=0\n';
    expect(summed(io, 'rbytes=')).toBe(11);
    expect(summed(io, 'wbytes=')).toBe(22);
    expect(summed('', 'rbytes=')).toBe(0);
  });
});
