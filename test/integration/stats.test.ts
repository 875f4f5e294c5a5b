/**
 * `stats` on this host, whose cgroups are a v1/v2 hybrid with no controllers: the figures come
 * from /proc for each container's processes, with docker's columns, units and formats, a note
 * on the source, `--all`, `--no-trunc`, named containers, and the live redraw in which
 * containers appear and leave.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { tsctr, tsctrAsync, type Sandbox } from './harness.ts';

const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** "41.5MiB" → bytes. */
function bytes(s: string): number {
  const m = /^([\d.]+(?:e\+\d+)?)([A-Za-z]+)$/.exec(s.trim());
  if (!m || UNITS[m[2]!] === undefined) throw new Error(`not a size: ${s}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

interface Row {
  BlockIO: string;
  CPUPerc: string;
  Container: string;
  ID: string;
  MemPerc: string;
  MemUsage: string;
  Name: string;
  NetIO: string;
  PIDs: string;
}

function rows(...args: string[]): Row[] {
  const r = tsctr(sb, ['stats', '--no-stream', '--format', 'json', ...args]);
  expect(r.stderr).toMatch(/^stats from \/proc for each container's processes: /);
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

const row = (name: string) => rows(name)[0]!;

async function until<T>(read: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  let v = read();
  for (let t = 0; !ok(v) && t < ms; t += 200) {
    await sleep(200);
    v = read();
  }
  return v;
}

const run = (name: string, ...cmd: string[]) =>
  expect(tsctr(sb, ['run', '-d', '--name', name, image, ...cmd]).code).toBe(0);

describe('stats --no-stream from /proc', () => {
  it("prints docker's columns for the running containers, and nothing when there are none", () => {
    const none = tsctr(sb, ['stats', '--no-stream']);
    expect(none).toMatchObject({ code: 0, stdout: '' });
    run('idle', 'sleep', '300');
    const r = tsctr(sb, ['stats', '--no-stream']);
    expect(r.code).toBe(0);
    const [header, line, ...rest] = r.stdout.split('\n');
    expect(header).toMatch(
      /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/,
    );
    expect(line).toMatch(
      /^[0-9a-f]{12} +idle +\d+\.\d\d% +[\d.]+[KMG]?i?B \/ [\d.]+GiB +\d+\.\d\d% +[\d.]+k?B \/ [\d.]+k?B +[\d.]+k?M?B \/ [\d.]+k?M?B +1$/,
    );
    expect(rest).toEqual(['']);
    // The source is said on stderr, in one line.
    expect(r.stderr).toMatch(
      /^stats from \/proc for each container's processes: this host mounts cgroup v1 and v2 together, with no v2 controllers\n$/,
    );
  });

  it('measures CPU, memory, block writes, tasks and network traffic', async () => {
    run('spin', 'sh', '-c', 'while :; do :; done');
    // dd's 40 MiB buffer, filled, held while it blocks writing to a pipe nobody reads.
    run('hog', 'sh', '-c', 'dd if=/dev/zero bs=40M count=1 | sleep 300');
    run('writer', 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null; sleep 300');
    // As a container user other than root: a subordinate uid on the host, whose /proc/PID/io
    // only the container's user namespace can read.
    expect(
      tsctr(sb, [
        'run',
        '-d',
        '--name',
        'userwriter',
        '--user',
        '1000:1000',
        image,
        'sh',
        '-c',
        'dd if=/dev/zero of=/tmp/big bs=1M count=8 2>/dev/null; sleep 300',
      ]).code,
    ).toBe(0);
    run('three', 'sh', '-c', 'sleep 300 & sleep 300 & wait');
    const spin = await until(
      () => row('spin'),
      (r) => parseFloat(r.CPUPerc) > 40,
    );
    // One busy shell is a core: about 100 %, the average since it started.
    expect(parseFloat(spin.CPUPerc)).toBeGreaterThan(40);
    expect(parseFloat(spin.CPUPerc)).toBeLessThan(130);
    const hog = await until(
      () => row('hog'),
      (r) => bytes(r.MemUsage.split(' / ')[0]!) > 40e6,
    );
    const [used, limit] = hog.MemUsage.split(' / ').map(bytes);
    expect(used).toBeGreaterThan(40e6);
    expect(used).toBeLessThan(400e6);
    // No limit: the host's RAM, and the percentage of it.
    expect(limit).toBeGreaterThan(100e6);
    expect(parseFloat(hog.MemPerc)).toBeCloseTo((used! / limit!) * 100, 1);
    const writer = await until(
      () => row('writer'),
      (r) => bytes(r.BlockIO.split(' / ')[1]!) >= 8e6,
    );
    expect(bytes(writer.BlockIO.split(' / ')[1]!)).toBeGreaterThanOrEqual(8e6);
    const userWriter = await until(
      () => row('userwriter'),
      (r) => bytes(r.BlockIO.split(' / ')[1]!) >= 8e6,
    );
    expect(bytes(userWriter.BlockIO.split(' / ')[1]!)).toBeGreaterThanOrEqual(8e6);
    const three = await until(
      () => row('three'),
      (r) => r.PIDs === '3',
    );
    expect(three.PIDs).toBe('3');
    // An exec session is in the container's pid namespace, not below its init: counted too.
    const exec = tsctrAsync(sb, ['exec', 'three', 'sleep', '5']);
    try {
      expect(
        (
          await until(
            () => row('three'),
            (r) => r.PIDs === '4',
          )
        ).PIDs,
      ).toBe('4');
    } finally {
      exec.kill();
    }
    // Traffic through the default network's interface; none of its own on --network host.
    const before = bytes(row('idle').NetIO.split(' / ')[1]!);
    const ping = tsctr(sb, [
      'exec',
      'idle',
      'sh',
      '-c',
      'busybox ping -c 3 -W 1 -i 0.2 -s 1000 10.88.0.1 >/dev/null; true',
    ]);
    expect(ping).toMatchObject({ code: 0, stderr: '' });
    expect(bytes(row('idle').NetIO.split(' / ')[1]!)).toBeGreaterThan(before + 3000);
    expect(
      tsctr(sb, ['run', '-d', '--name', 'onhost', '--network', 'host', image, 'sleep', '300']).code,
    ).toBe(0);
    expect(row('onhost').NetIO).toBe('0B / 0B');
  });

  it('shows stopped containers with --all, full IDs with --no-trunc, and the names asked for', () => {
    expect(tsctr(sb, ['run', '--name', 'done', image, 'true']).code).toBe(0);
    const running = rows().map((r) => r.Name);
    expect(running).not.toContain('done');
    const all = rows('--all');
    const done = all.find((r) => r.Name === 'done')!;
    expect(done).toMatchObject({
      CPUPerc: '0.00%',
      MemUsage: '0B / 0B',
      MemPerc: '0.00%',
      NetIO: '0B / 0B',
      BlockIO: '0B / 0B',
      PIDs: '0',
    });
    // Listing all, .Container is the full ID; naming, it is the name as given.
    expect(done.Container).toMatch(/^[0-9a-f]{64}$/);
    expect(done.ID).toBe(done.Container.slice(0, 12));
    const full = rows('--no-trunc', 'idle');
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ Container: 'idle', Name: 'idle' });
    expect(full[0]!.ID).toMatch(/^[0-9a-f]{64}$/);
    const two = tsctr(sb, [
      'stats',
      '--no-stream',
      '--format',
      '{{.Name}}:{{.PIDs}}',
      'idle',
      'done',
    ]);
    expect(two.stdout).toBe('idle:1\ndone:0\n');
    const table = tsctr(sb, [
      'stats',
      '--no-stream',
      '--format',
      'table {{.Container}}\t{{.CPUPerc}}',
      'idle',
    ]);
    expect(table.stdout).toMatch(/^CONTAINER +CPU %\nidle +\d+\.\d\d%\n$/);
  });

  it('fails for a container that does not exist', () => {
    const r = tsctr(sb, ['stats', '--no-stream', 'idle', 'nope']);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Error: No such container: nope');
  });
});

describe('stats, streaming', () => {
  it('redraws about every second, with containers appearing and leaving', async () => {
    const child = tsctrAsync(sb, ['stats', '--format', '{{.Name}}']);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      await until(
        () => out.split('\x1b[H').length,
        (n) => n >= 3,
      );
      run('late', 'sleep', '300');
      await until(
        () => out.split('\x1b[H').at(-2) ?? '',
        (f) => f.includes('late'),
      );
      expect(tsctr(sb, ['rm', '-f', 'spin']).code).toBe(0);
      const seen = out.length;
      await until(
        () => out.slice(seen).split('\x1b[H').slice(1, -1),
        (fs) => fs.length > 0 && !fs.at(-1)!.includes('spin'),
      );
    } finally {
      child.kill();
    }
    const frames = out.split('\x1b[H').slice(1, -1);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    // Each frame: the cursor home, every line erased to its end, the rest of the screen erased.
    const ESC = '\x1b';
    const frame = new RegExp(`^([^${ESC}\\n]*${ESC}\\[K\\n)+${ESC}\\[J$`);
    for (const f of frames) expect(f).toMatch(frame);
    expect(frames.some((f) => f.includes('late\x1b[K'))).toBe(true);
    expect(frames.at(-1)).not.toContain('spin');
    expect(frames[0]).toContain('spin');
  });
});
