import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { tsctr, userProcesses, type Sandbox } from './harness.ts';

// exec: one more process in a running container, in its namespaces and under its confinement.
const box = withBusybox();
let sb: Sandbox;
let image: string;
let id: string;
beforeAll(() => {
  ({ sb, image } = box);
  const r = tsctr(sb, [
    'run',
    '-d',
    '--name',
    'host1',
    '-e',
    'FROM_RUN=1',
    '-w',
    '/srv',
    image,
    'sleep',
    '300',
  ]);
  expect(r.code).toBe(0);
  id = r.stdout.trim();
});

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('exec', () => {
  it("runs in the container's namespaces, with its environment and working directory", () => {
    const r = tsctr(sb, [
      'exec',
      'host1',
      'sh',
      '-c',
      'hostname; echo $FROM_RUN; pwd; cat /proc/1/cmdline | tr "\\0" " "',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`${id.slice(0, 12)}\n1\n/srv\nsleep 300 `);
    // A file one exec writes, another sees: the same mount namespace and writable layer.
    expect(tsctr(sb, ['exec', 'host1', 'sh', '-c', 'echo kept > /srv/note']).code).toBe(0);
    expect(tsctr(sb, ['exec', id.slice(0, 8), 'cat', '/srv/note']).stdout).toBe('kept\n');
  });

  it('takes -e, -u and -w', () => {
    const r = tsctr(sb, [
      'exec',
      '-e',
      'A=b',
      '-e',
      'FROM_RUN=2',
      '-u',
      '1000:1000',
      '-w',
      '/tmp',
      'host1',
      'sh',
      '-c',
      'echo $A $FROM_RUN; id -u; id -g; pwd',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'b 2\n1000\n1000\n/tmp\n' });
  });

  it("passes the command's exit code on, and docker's codes for what cannot run", () => {
    expect(tsctr(sb, ['exec', 'host1', 'sh', '-c', 'exit 7']).code).toBe(7);
    expect(tsctr(sb, ['exec', 'host1', 'sh', '-c', 'kill -9 $$']).code).toBe(137);
    const missing = tsctr(sb, ['exec', 'host1', 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
    expect(tsctr(sb, ['exec', 'host1', '/etc/passwd']).code).toBe(126);
    const bad = tsctr(sb, ['exec', '--frobnicate', 'host1', 'true']);
    expect(bad.code).toBe(125);
  });

  it('streams stdin with -i, and ignores it without', () => {
    expect(tsctr(sb, ['exec', '-i', 'host1', 'cat'], { input: 'one\ntwo\n' }).stdout).toBe(
      'one\ntwo\n',
    );
    expect(tsctr(sb, ['exec', 'host1', 'cat'], { input: 'ignored\n' }).stdout).toBe('');
  });

  it('-d returns at once and leaves the process running in the container', async () => {
    const r = tsctr(sb, ['exec', '-d', 'host1', 'sh', '-c', 'sleep 1; echo done > /tmp/flag']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(tsctr(sb, ['exec', 'host1', 'cat', '/tmp/flag']).code).not.toBe(0);
    let out = '';
    for (let i = 0; i < 60 && out !== 'done\n'; i++) {
      await sleep(100);
      out = tsctr(sb, ['exec', 'host1', 'cat', '/tmp/flag']).stdout;
    }
    expect(out).toBe('done\n');
  });

  it("holds the process as the container's first one: capabilities, seccomp, fds, processes", () => {
    const r = tsctr(sb, [
      'exec',
      'host1',
      'sh',
      '-c',
      'grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status; ls /proc/self/fd | tr "\\n" " "',
    ]);
    expect(r.stdout).toBe(
      'CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n0 1 2 3 ',
    );
    const priv = tsctr(sb, [
      'exec',
      '--privileged',
      'host1',
      'grep',
      '^Seccomp:',
      '/proc/self/status',
    ]);
    expect(priv.stdout).toBe('Seccomp:\t0\n');
    // No helper is left behind, and none is visible inside.
    expect(userProcesses(sb.user, 'tsctr-monitor --exec')).toEqual([]);
    const pids = tsctr(sb, ['exec', 'host1', 'sh', '-c', 'cat /proc/[0-9]*/comm']).stdout.split(
      '\n',
    );
    expect(pids.filter((p) => p.startsWith('tsctr'))).toEqual([]);
  });

  it('keeps a container started with --cap-drop ALL and no-new-privileges as confined', () => {
    expect(
      tsctr(sb, [
        'run',
        '-d',
        '--name',
        'tight',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        image,
        'sleep',
        '300',
      ]).code,
    ).toBe(0);
    const r = tsctr(sb, [
      'exec',
      'tight',
      'grep',
      '-E',
      '^(CapEff|NoNewPrivs):',
      '/proc/self/status',
    ]);
    expect(r.stdout).toBe('CapEff:\t0000000000000000\nNoNewPrivs:\t1\n');
    tsctr(sb, ['rm', '-f', 'tight']);
  });

  it('refuses a container that is not running, and one that does not exist', () => {
    tsctr(sb, ['run', '--name', 'done1', image, 'true']);
    const r = tsctr(sb, ['exec', 'done1', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Error: container [0-9a-f]{64} is not running\n/);
    const n = tsctr(sb, ['exec', 'nope', 'true']);
    expect(n).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('Error: No such container: nope'),
    });
  });
});
