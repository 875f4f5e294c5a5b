import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { tsctr, tsctrAsync, userProcesses, type Sandbox } from './harness.ts';

// Killed CLIs and monitors, and many commands at once: ps stays truthful, nothing is lost or
// left behind, and the next command works.
const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The CLI's exit ('exit', not 'close': a killed foreground run's container keeps its pipes). */
function exited(child: ReturnType<typeof tsctrAsync>): Promise<number | null> {
  return new Promise((done) => child.on('exit', (code) => done(code)));
}

function statusOf(name: string): string {
  const rows = tsctr(sb, ['ps', '-a', '--format', '{{.Names}}\t{{.Status}}']).stdout.split('\n');
  return rows.find((r) => r.startsWith(`${name}\t`))?.slice(name.length + 1) ?? '';
}

const storedContainers = () => {
  try {
    return readdirSync(join(sb.root, 'containers'));
  } catch {
    return [];
  }
};

describe('at once', () => {
  it('20 parallel run -d, then 20 parallel rm -f: every one created, every one gone', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `par${i}`);
    const runs = await Promise.all(
      names.map((n) => exited(tsctrAsync(sb, ['run', '-d', '--name', n, image, 'sleep', '300']))),
    );
    expect(runs).toEqual(names.map(() => 0));
    const up = tsctr(sb, ['ps', '--format', '{{.Names}} {{.Status}}']).stdout.split('\n');
    for (const n of names)
      expect(up).toContainEqual(expect.stringMatching(new RegExp(`^${n} Up `)));
    expect(userProcesses(sb.user, `tsctr-monitor ${sb.runroot}/`).length).toBeGreaterThanOrEqual(
      20,
    );
    const rms = await Promise.all(names.map((n) => exited(tsctrAsync(sb, ['rm', '-f', n]))));
    expect(rms).toEqual(names.map(() => 0));
    expect(tsctr(sb, ['ps', '-aq']).stdout).toBe('');
    expect(storedContainers()).toEqual([]);
    expect(readdirSync(join(sb.root, 'names'))).toEqual([]);
    for (let i = 0; i < 50 && userProcesses(sb.user, `tsctr-monitor ${sb.runroot}/`).length; i++)
      await sleep(50);
    expect(userProcesses(sb.user, `tsctr-monitor ${sb.runroot}/`)).toEqual([]);
  });
});

describe('killed', () => {
  it('a killed monitor leaves a running container Up, then stoppable and recorded as 255', async () => {
    const id = tsctr(sb, ['run', '-d', '--name', 'orphan', image, 'sleep', '300']).stdout.trim();
    const [mon] = userProcesses(sb.user, `tsctr-monitor ${sb.runroot}/containers/${id}/spec`);
    expect(mon).toBeDefined();
    process.kill(Number(mon!.trim().split(/\s+/)[0]), 'SIGKILL');
    await sleep(100);
    // The container itself still runs: ps says so.
    expect(statusOf('orphan')).toMatch(/^Up /);
    expect(tsctr(sb, ['stop', '-t', '1', 'orphan']).code).toBe(0);
    expect(statusOf('orphan')).toMatch(/^Exited \(255\)/);
    expect(tsctr(sb, ['rm', 'orphan']).code).toBe(0);
    expect(tsctr(sb, ['run', '--rm', '--name', 'orphan', image, 'true']).code).toBe(0);
  });

  it('a CLI killed at any point of run -d leaves a store that ps reads truthfully and rm cleans', async () => {
    for (const delay of [0, 30, 60, 90, 120, 200, 400]) {
      const child = tsctrAsync(sb, ['run', '-d', '--name', `cut${delay}`, image, 'sleep', '333']);
      const done = exited(child); // it may finish before the kill
      await sleep(delay);
      child.kill('SIGKILL');
      await done;
    }
    await sleep(300);
    const rows = tsctr(sb, ['ps', '-a', '--format', '{{.Names}}\t{{.Status}}'])
      .stdout.split('\n')
      .filter(Boolean);
    for (const row of rows) expect(row).toMatch(/^cut\d+\t(Up |Created|Exited \(\d+\))/);
    // A container shown as Up has a live process.
    for (const row of rows.filter((r) => r.includes('\tUp '))) {
      const name = row.split('\t')[0]!;
      expect(tsctr(sb, ['exec', name, 'true']).code).toBe(0);
    }
    const all = tsctr(sb, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (all.length) expect(tsctr(sb, ['rm', '-f', ...all]).code).toBe(0);
    expect(tsctr(sb, ['ps', '-aq']).stdout).toBe('');
    // Every name is free again, including one a killed CLI had reserved.
    for (const delay of [0, 30, 60, 90, 120, 200, 400]) {
      const again = tsctr(sb, ['run', '--rm', '--name', `cut${delay}`, image, 'true']);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
    }
    for (let i = 0; i < 50 && userProcesses(sb.user, 'sleep 333').length; i++) await sleep(50);
    expect(userProcesses(sb.user, 'sleep 333')).toEqual([]);
  });

  it('a foreground run whose CLI is killed goes on under its monitor, and stops', async () => {
    const child = tsctrAsync(sb, ['run', '--name', 'fg', image, 'sleep', '300']);
    const done = exited(child);
    for (let i = 0; i < 100 && !/^Up/.test(statusOf('fg')); i++) await sleep(50);
    child.kill('SIGKILL');
    await done;
    expect(statusOf('fg')).toMatch(/^Up /);
    expect(tsctr(sb, ['stop', '-t', '1', 'fg']).code).toBe(0);
    expect(statusOf('fg')).toMatch(/^Exited \(137\)/);
    expect(tsctr(sb, ['rm', 'fg']).code).toBe(0);
  });
});
