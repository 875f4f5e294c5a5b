import { writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { tsctr, type Sandbox } from './harness.ts';

// run's docker flags beyond the basics: each does what docker's does, or fails with 125.
const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('run flags', () => {
  it('--env-file, then -e over it; comments and blank lines skipped', () => {
    const file = join(sb.home, 'env.list');
    writeFileSync(file, '# comment\nFROM_FILE=1\n\nA=file\n');
    chownSync(file, sb.user.uid, sb.user.gid);
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--env-file',
      file,
      '-e',
      'A=flag',
      image,
      'sh',
      '-c',
      'echo $FROM_FILE $A',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: '1 flag\n' });
    const missing = tsctr(sb, ['run', '--rm', '--env-file', '/nonexistent.env', image, 'true']);
    // Node itself must not take the flag (it would read the file into tsctr's own environment).
    expect(missing).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('reading --env-file: open /nonexistent.env: ENOENT'),
    });
  });

  it('--add-host, --group-add and --shm-size', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--add-host',
      'db:10.0.0.5',
      '--group-add',
      'user',
      '--group-add',
      '4242',
      '--shm-size',
      '8m',
      image,
      'sh',
      '-c',
      // -w: the container's own line names its id, which may contain "db".
      'grep -w db /etc/hosts; id -G; df -k /dev/shm | tail -1',
    ]);
    expect(r.stdout).toMatch(/^10\.0\.0\.5\tdb\n0 1000 4242\nshm\s+8192 /);
    const bad = tsctr(sb, ['run', '--rm', '--add-host', 'db:not-an-ip', image, 'true']);
    expect(bad).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('invalid IP address in add-host'),
    });
    expect(tsctr(sb, ['run', '--rm', '--group-add', 'nosuchgroup', image, 'true']).code).toBe(125);
  });

  it('--read-only: the rootfs refuses writes, /tmp and /run take them', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--read-only',
      image,
      'sh',
      '-c',
      'touch /x; touch /tmp/a /run/b && echo ok',
    ]);
    expect(r.stdout).toBe('ok\n');
    expect(r.stderr).toContain('touch: /x: Read-only file system');
    expect(
      tsctr(sb, ['run', '--rm', '--read-only', '--tmpfs', '/tmp:size=1m', image, 'touch', '/tmp/a'])
        .code,
    ).toBe(0);
  });

  it('--stop-signal and --stop-timeout decide what stop sends and how long it waits', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'usr1',
      '--stop-signal',
      'USR1',
      '--stop-timeout',
      '1',
      image,
      'sh',
      '-c',
      'trap "echo got-usr1; exit 9" USR1; while true; do sleep 0.1; done',
    ]);
    await sleep(300);
    expect(tsctr(sb, ['stop', 'usr1']).code).toBe(0);
    expect(tsctr(sb, ['logs', 'usr1']).stdout).toBe('got-usr1\n');
    expect(
      tsctr(sb, [
        'inspect',
        '-f',
        '{{.State.ExitCode}} {{.Config.StopSignal}} {{.Config.StopTimeout}}',
        'usr1',
      ]).stdout,
    ).toBe('9 USR1 1\n');
    // An init ignoring its stop signal is killed after --stop-timeout, not 10 s.
    tsctr(sb, ['run', '-d', '--name', 'deaf', '--stop-timeout', '1', image, 'sleep', '60']);
    const start = Date.now();
    expect(tsctr(sb, ['stop', 'deaf']).code).toBe(0);
    expect(Date.now() - start).toBeLessThan(8000);
    expect(tsctr(sb, ['inspect', '-f', '{{.State.ExitCode}}', 'deaf']).stdout).toBe('137\n');
    expect(tsctr(sb, ['run', '--rm', '--stop-signal', 'NOPE', image, 'true']).code).toBe(125);
  });

  it("--ulimit sets soft and hard limits; raising past the user's own hard limit fails as docker words it", () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--ulimit',
      'nofile=100:200',
      image,
      'sh',
      '-c',
      'ulimit -n; ulimit -Hn',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: '100\n200\n' });
    expect(tsctr(sb, ['create', '--name', 'lim', '--ulimit', 'nproc=50', image, 'true']).code).toBe(
      0,
    );
    expect(
      tsctr(sb, [
        'inspect',
        '-f',
        '{{range .HostConfig.Ulimits}}{{.Name}} {{.Soft}} {{.Hard}}{{end}}',
        'lim',
      ]).stdout,
    ).toBe('nproc 50 50\n');
    const high = tsctr(sb, ['run', '--rm', '--ulimit', 'nofile=100:999999999', image, 'true']);
    expect(high).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('error setting rlimit type nofile: operation not permitted'),
    });
    expect(tsctr(sb, ['run', '--rm', '--ulimit', 'bogus=1', image, 'true']).stderr).toContain(
      'invalid ulimit type: bogus',
    );
    expect(tsctr(sb, ['run', '--rm', '--ulimit', 'nofile=10:5', image, 'true']).stderr).toContain(
      'soft limit must be less than or equal to hard limit',
    );
  });

  it('--label shows in ps, its filter and inspect', () => {
    tsctr(sb, ['create', '--name', 'lab', '-l', 'team=a', '--label', 'tier', image, 'true']);
    expect(
      tsctr(sb, ['ps', '-a', '-f', 'label=team=a', '--format', '{{.Names}} {{.Labels}}']).stdout,
    ).toBe('lab team=a,tier=\n');
    expect(tsctr(sb, ['ps', '-aq', '-f', 'label=team=b']).stdout).toBe('');
    expect(tsctr(sb, ['inspect', '-f', '{{.Config.Labels.team}}', 'lab']).stdout).toBe('a\n');
  });

  it('--pull never refuses a missing image; a bad policy is refused', () => {
    const r = tsctr(sb, ['run', '--rm', '--pull', 'never', 'nosuch/img', 'true']);
    expect(r).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('No such image: nosuch/img'),
    });
    expect(tsctr(sb, ['run', '--rm', '--pull', 'never', image, 'true']).code).toBe(0);
    expect(tsctr(sb, ['run', '--rm', '--pull', 'always', image, 'true']).code).toBe(0);
    const bad = tsctr(sb, ['run', '--rm', '--pull', 'sometimes', image, 'true']);
    expect(bad).toMatchObject({
      code: 125,
      stderr: expect.stringContaining('invalid pull option'),
    });
  });

  it('ps -s shows the writable layer and the virtual size, as docker', () => {
    tsctr(sb, ['run', '--name', 'sized', image, 'sh', '-c', 'head -c 5000 /dev/zero > /f']);
    const r = tsctr(sb, ['ps', '-a', '-s', '-f', 'name=sized']);
    expect(r.stdout.split('\n')[0]).toMatch(/\s+NAMES\s+SIZE$/);
    expect(r.stdout.split('\n')[1]).toMatch(/sized\s+5kB \(virtual 2\.0\dMB\)$/);
    expect(tsctr(sb, ['ps', '-a', '-f', 'name=sized', '--format', '{{.Size}}']).stdout).toMatch(
      /^5kB \(virtual /,
    );
  });

  it('a flag tsctr does not have fails with 125, naming it', () => {
    const r = tsctr(sb, ['run', '--rm', '--cpuset-cpus', '0', image, 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('--cpuset-cpus');
  });
});
