import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { runAs, tsctr, userProcesses, type Sandbox } from './harness.ts';

// Detached containers: run -d, ps, logs, stop, kill, rm, through their monitors.
const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `ps -a` until the container's STATUS matches (ps has no --filter yet). */
async function statusOf(name: string, want: RegExp): Promise<string> {
  let status = '';
  for (let i = 0; i < 100; i++) {
    const rows = tsctr(sb, ['ps', '-a', '--format', '{{.Names}}\t{{.Status}}']).stdout.split('\n');
    status = rows.find((r) => r.startsWith(`${name}\t`))?.slice(name.length + 1) ?? '';
    if (want.test(status)) return status;
    await sleep(50);
  }
  return status;
}

describe('run -d', () => {
  it('prints the ID at once and leaves the container running under its monitor', async () => {
    const start = Date.now();
    const r = tsctr(sb, ['run', '-d', '--name', 'sleeper', image, 'sleep', '30']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(Date.now() - start).toBeLessThan(10_000);
    const ps = tsctr(sb, ['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}']).stdout;
    expect(ps).toMatch(new RegExp(`^${r.stdout.slice(0, 12)} sleeper Up `, 'm'));
  });

  it('logs stdout and stderr apart, and a last line without its newline as it was', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'talker',
      image,
      'sh',
      '-c',
      'echo out; echo err >&2; printf end',
    ]);
    await statusOf('talker', /Exited \(0\)/);
    const r = tsctr(sb, ['logs', 'talker']);
    expect(r).toMatchObject({ code: 0, stdout: 'out\nend', stderr: 'err\n' });
    expect(tsctr(sb, ['logs', '--tail', '1', 'talker']).stdout).toBe('end');
    const t = tsctr(sb, ['logs', '-t', 'talker']).stdout;
    expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out\n/);
  });

  it('keeps the lines --since and --until choose', () => {
    expect(tsctr(sb, ['logs', '--since', '10m', 'talker']).stdout).toBe('out\nend');
    expect(tsctr(sb, ['logs', '--since', '2999-01-01', 'talker']).stdout).toBe('');
    expect(tsctr(sb, ['logs', '--until', '2000-01-01T00:00:00Z', 'talker']).stdout).toBe('');
    expect(tsctr(sb, ['logs', '--until', '2999-01-01', 'talker']).stdout).toBe('out\nend');
    const bad = tsctr(sb, ['logs', '--since', 'soon', 'talker']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(
      'Error: invalid value for "since": failed to parse value as time or duration: "soon"',
    );
  });

  it('follows the log until the container ends', () => {
    tsctr(sb, ['run', '-d', '--name', 'slow', image, 'sh', '-c', 'echo a; sleep 1; echo b']);
    const r = tsctr(sb, ['logs', '-f', 'slow'], { timeout: 20_000 });
    expect(r).toMatchObject({ code: 0, stdout: 'a\nb\n' });
  });

  it('refuses --tail that is no number with docker words and 125', () => {
    const r = tsctr(sb, ['logs', '--tail', 'x', 'talker']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(
      'invalid argument "x" for "-n, --tail" flag: strconv.ParseInt: parsing "x": invalid syntax',
    );
  });
});

describe('wait', () => {
  it("prints each container's exit code once it has ended, and reports one that is missing", () => {
    tsctr(sb, ['run', '-d', '--name', 'three', image, 'sh', '-c', 'sleep 1; exit 3']);
    expect(tsctr(sb, ['wait', 'three'])).toMatchObject({ code: 0, stdout: '3\n' });
    // Already ended: at once.
    const r = tsctr(sb, ['wait', 'three', 'nosuch']);
    expect(r).toMatchObject({ code: 1, stdout: '3\n' });
    expect(r.stderr).toContain('Error: No such container: nosuch');
  });
});

describe('ps', () => {
  it('filters by status, exited code, name and ID, and -n/-l show the newest of any state', async () => {
    const up = tsctr(sb, ['run', '-d', '--name', 'psup', image, 'sleep', '60']).stdout.trim();
    tsctr(sb, ['run', '--name', 'psfail', image, 'sh', '-c', 'exit 4']);
    const names = (...args: string[]) =>
      tsctr(sb, ['ps', ...args, '--format', '{{.Names}}'])
        .stdout.split('\n')
        .filter(Boolean);
    expect(names('-f', 'status=running')).toContain('psup');
    expect(names('-f', 'status=running')).not.toContain('psfail');
    // A status or exited filter looks at every container, as dockerd does.
    expect(names('-f', 'exited=4')).toEqual(['psfail']);
    expect(names('-a', '-f', 'name=^ps', '-f', 'status=exited')).toEqual(['psfail']);
    expect(names('-f', `id=${up.slice(0, 10)}`)).toEqual(['psup']);
    expect(names('-l')).toEqual(['psfail']);
    expect(names('-n', '2')).toEqual(['psfail', 'psup']);
    const bad = tsctr(sb, ['ps', '-f', 'color=red']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain("Error: invalid filter 'color'");
    expect(tsctr(sb, ['ps', '-f', 'status=sleepy']).stderr).toContain(
      'Error: Unrecognised filter value for status: sleepy',
    );
    expect(tsctr(sb, ['rm', '-f', 'psup', 'psfail']).code).toBe(0);
  });
});

describe('rename', () => {
  it('renames a running container, frees the old name and refuses a taken one', () => {
    tsctr(sb, ['run', '-d', '--name', 'before', image, 'sleep', '60']);
    expect(tsctr(sb, ['rename', 'before', 'after'])).toMatchObject({ code: 0, stdout: '' });
    const names = tsctr(sb, ['ps', '--format', '{{.Names}}']).stdout.split('\n');
    expect(names).toContain('after');
    expect(names).not.toContain('before');
    expect(tsctr(sb, ['run', '--rm', '--name', 'before', image, 'true']).code).toBe(0);
    const taken = tsctr(sb, ['rename', 'after', 'talker']);
    expect(taken.code).toBe(125);
    expect(taken.stderr).toMatch(
      /^Error: Conflict\. The container name "\/talker" is already in use/,
    );
    expect(tsctr(sb, ['rename', 'nosuch', 'x']).stderr).toContain(
      'Error: No such container: nosuch',
    );
    expect(tsctr(sb, ['rm', '-f', 'after']).code).toBe(0);
  });
});

describe('reconciliation', () => {
  it('shows Up while the init lives on without its monitor, and Exited (255) once both are gone', async () => {
    const id = tsctr(sb, ['run', '-d', '--name', 'orphan', image, 'sleep', '60']).stdout.trim();
    const state = JSON.parse(
      readFileSync(join(sb.runroot, 'containers', id, 'state.json'), 'utf8'),
    ) as { pid: number; monitorPid: number };
    process.kill(state.monitorPid, 'SIGKILL');
    expect(await statusOf('orphan', /^Up/)).toMatch(/^Up /);
    process.kill(state.pid, 'SIGKILL');
    expect(await statusOf('orphan', /Exited/)).toMatch(/^Exited \(255\) /);
    expect(tsctr(sb, ['wait', 'orphan']).stdout).toBe('255\n');
    expect(tsctr(sb, ['rm', 'orphan']).code).toBe(0);
  });
});

describe('stop, kill, rm', () => {
  it('stop sends TERM, then KILL after -t seconds to an init that ignores TERM (137)', async () => {
    tsctr(sb, ['run', '-d', '--name', 'stubborn', image, 'sleep', '60']);
    const start = Date.now();
    expect(tsctr(sb, ['stop', '-t', '1', 'stubborn'])).toMatchObject({
      code: 0,
      stdout: 'stubborn\n',
    });
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    expect(await statusOf('stubborn', /Exited/)).toMatch(/^Exited \(137\) /);
    // Stopping a stopped container succeeds, as docker's does.
    expect(tsctr(sb, ['stop', 'stubborn']).code).toBe(0);
  });

  it('stop ends at once a container that handles TERM', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'polite',
      image,
      'sh',
      '-c',
      "trap 'exit 3' TERM; while :; do sleep 0.1; done",
    ]);
    await statusOf('polite', /^Up/);
    const start = Date.now();
    // -1: no time limit, as docker's; the TERM trap ends it (3, not KILL's 137).
    expect(tsctr(sb, ['stop', '-t', '-1', 'polite']).code).toBe(0);
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(await statusOf('polite', /Exited/)).toMatch(/^Exited \(3\) /);
  });

  it('kill signals a running container and refuses one that is not', async () => {
    tsctr(sb, ['run', '-d', '--name', 'victim', image, 'sleep', '60']);
    expect(tsctr(sb, ['kill', 'victim'])).toMatchObject({ code: 0, stdout: 'victim\n' });
    expect(await statusOf('victim', /Exited/)).toMatch(/^Exited \(137\) /);
    const again = tsctr(sb, ['kill', 'victim']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^Error: cannot kill container: [0-9a-f]{64}: container [0-9a-f]{64} is not running$/m,
    );
  });

  it('rm refuses a running container without -f, removes it with -f, and reports each one', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'busy',
      image,
      'sh',
      '-c',
      'mkdir /x && touch /x/f && chown -R 1000:1000 /x && chmod 700 /x && sleep 60',
    ]);
    await statusOf('busy', /^Up/);
    const refused = tsctr(sb, ['rm', 'busy', 'nosuch']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Error: cannot remove container "/busy": container is running: stop the container before removing or force remove',
    );
    expect(refused.stderr).toContain('Error: No such container: nosuch');
    const r = tsctr(sb, ['rm', '-f', 'busy', 'victim']);
    expect(r).toMatchObject({ code: 0, stdout: 'busy\nvictim\n' });
    expect(tsctr(sb, ['ps', '-a', '--format', '{{.Names}}']).stdout).not.toMatch(
      /^(busy|victim)$/m,
    );
    // Nothing is left of them, files of other uids included, and the name is free again.
    const left = runAs(sb, '/usr/bin/find', [
      `${sb.root}/containers`,
      '-mindepth',
      '1',
      '-maxdepth',
      '1',
    ]);
    expect(left.stdout.split('\n').filter(Boolean).length).toBe(
      tsctr(sb, ['ps', '-aq']).stdout.split('\n').filter(Boolean).length,
    );
    expect(tsctr(sb, ['run', '--rm', '--name', 'busy', image, 'true']).code).toBe(0);
  });
});

describe('create, start, restart', () => {
  it('create makes a container in state Created that start runs detached', async () => {
    const r = tsctr(sb, [
      'create',
      '--name',
      'later',
      '-e',
      'X=1',
      image,
      'sh',
      '-c',
      'echo run $X; sleep 60',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(await statusOf('later', /^Created$/)).toBe('Created');
    expect(tsctr(sb, ['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'later']).stdout).toBe(
      'created 0\n',
    );
    const s = tsctr(sb, ['start', 'later']);
    expect(s).toMatchObject({ code: 0, stdout: 'later\n', stderr: '' });
    expect(await statusOf('later', /^Up/)).toMatch(/^Up/);
    // Starting a running container changes nothing and succeeds, as docker's.
    const pid = tsctr(sb, ['inspect', '-f', '{{.State.Pid}}', 'later']).stdout;
    expect(tsctr(sb, ['start', 'later']).code).toBe(0);
    expect(tsctr(sb, ['inspect', '-f', '{{.State.Pid}}', 'later']).stdout).toBe(pid);
  });

  it('restart runs the same container again: a new process, the same writable layer, the log kept', async () => {
    tsctr(sb, ['exec', 'later', 'touch', '/kept']);
    const before = tsctr(sb, ['inspect', '-f', '{{.State.Pid}}', 'later']).stdout;
    expect(tsctr(sb, ['restart', '-t', '1', 'later'])).toMatchObject({
      code: 0,
      stdout: 'later\n',
    });
    expect(await statusOf('later', /^Up/)).toMatch(/^Up/);
    expect(tsctr(sb, ['inspect', '-f', '{{.State.Pid}}', 'later']).stdout).not.toBe(before);
    expect(tsctr(sb, ['exec', 'later', 'ls', '/kept']).code).toBe(0);
    let logs = '';
    for (let i = 0; i < 50 && logs !== 'run 1\nrun 1\n'; i++) {
      await sleep(50);
      logs = tsctr(sb, ['logs', 'later']).stdout;
    }
    expect(logs).toBe('run 1\nrun 1\n');
    tsctr(sb, ['rm', '-f', 'later']);
  });

  it('start -a follows the container and returns its exit code, every time', () => {
    tsctr(sb, ['create', '--name', 'job', image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    for (let i = 0; i < 2; i++) {
      expect(tsctr(sb, ['start', '-a', 'job'])).toMatchObject({
        code: 3,
        stdout: 'out\n',
        stderr: 'err\n',
      });
    }
    expect(tsctr(sb, ['inspect', '-f', '{{.State.ExitCode}}', 'job']).stdout).toBe('3\n');
    const many = tsctr(sb, ['start', '-a', 'job', 'job']);
    expect(many.code).toBe(125);
    expect(many.stderr).toContain('you cannot start and attach multiple containers at once');
  });

  it('start -a -i passes stdin; create --rm removes the container after its run', () => {
    tsctr(sb, ['create', '-i', '--rm', '--name', 'cat1', image, 'cat']);
    expect(tsctr(sb, ['start', '-a', '-i', 'cat1'], { input: 'piped\n' })).toMatchObject({
      code: 0,
      stdout: 'piped\n',
    });
    expect(tsctr(sb, ['ps', '-a', '--format', '{{.Names}}']).stdout).not.toMatch(/^cat1$/m);
  });

  it('start reports each container, and fails for the missing ones', () => {
    tsctr(sb, ['create', '--name', 'one', image, 'true']);
    const r = tsctr(sb, ['start', 'one', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('one\n');
    expect(r.stderr).toContain('Error: No such container: nosuch');
    expect(tsctr(sb, ['wait', 'one']).stdout).toBe('0\n');
  });

  it('create refuses a bad capability before making anything', () => {
    const r = tsctr(sb, ['create', '--name', 'nope1', '--cap-add', 'FLY', image, 'true']);
    expect(r.code).toBe(125);
    expect(tsctr(sb, ['ps', '-a', '--format', '{{.Names}}']).stdout).not.toMatch(/^nope1$/m);
  });
});

describe('restart policies', () => {
  const inspect = (name: string, f: string) => tsctr(sb, ['inspect', '-f', f, name]).stdout.trim();

  it('on-failure:N runs a crashing container N more times, then records its exit', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'crasher',
      '--restart',
      'on-failure:2',
      image,
      'sh',
      '-c',
      'echo run; exit 3',
    ]);
    let seenRestarting = false;
    for (let i = 0; i < 100 && !/^Exited/.test(await statusOf('crasher', /./)); i++) {
      if (/^Restarting \(3\)/.test(await statusOf('crasher', /./))) seenRestarting = true;
      await sleep(20);
    }
    expect(await statusOf('crasher', /^Exited/)).toMatch(/^Exited \(3\)/);
    expect(seenRestarting).toBe(true);
    expect(
      inspect(
        'crasher',
        '{{.RestartCount}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}',
      ),
    ).toBe('2 3 on-failure:2');
    expect(tsctr(sb, ['logs', 'crasher']).stdout).toBe('run\nrun\nrun\n');
  });

  it('always restarts after a clean exit too, until stop; start clears the stop', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'phoenix',
      '--restart',
      'always',
      image,
      'sh',
      '-c',
      'sleep 0.2',
    ]);
    for (let i = 0; i < 100 && Number(inspect('phoenix', '{{.RestartCount}}')) < 2; i++)
      await sleep(50);
    expect(Number(inspect('phoenix', '{{.RestartCount}}'))).toBeGreaterThanOrEqual(2);
    expect(tsctr(sb, ['stop', '-t', '1', 'phoenix']).code).toBe(0);
    expect(await statusOf('phoenix', /^Exited/)).toMatch(/^Exited/);
    const count = inspect('phoenix', '{{.RestartCount}}');
    await sleep(1000);
    expect(await statusOf('phoenix', /./)).toMatch(/^Exited/);
    expect(inspect('phoenix', '{{.RestartCount}}')).toBe(count);
    expect(tsctr(sb, ['start', 'phoenix']).code).toBe(0);
    for (let i = 0; i < 100 && inspect('phoenix', '{{.RestartCount}}') === '0'; i++)
      await sleep(50);
    expect(Number(inspect('phoenix', '{{.RestartCount}}'))).toBeGreaterThanOrEqual(1);
    expect(tsctr(sb, ['rm', '-f', 'phoenix'])).toMatchObject({ code: 0, stdout: 'phoenix\n' });
    expect(userProcesses(sb.user, 'sleep 0.2')).toEqual([]);
  });

  it('rm -f at any moment of a restart loop ends it, with nothing left behind', async () => {
    // The monitor may be between its look for the stop marker and the next run's start: rm -f
    // must end that run too, not remove its directory under it (once ENOTEMPTY, exit 125).
    for (const delay of [0, 40, 90, 130, 180, 240, 300, 380, 470, 560]) {
      const id = tsctr(sb, [
        'run',
        '-d',
        '--name',
        'blink',
        '--restart',
        'always',
        image,
        'sh',
        '-c',
        'sleep 0.03',
      ]).stdout.trim();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      await sleep(delay);
      expect(tsctr(sb, ['rm', '-f', 'blink'])).toMatchObject({ code: 0, stdout: 'blink\n' });
      expect(existsSync(join(sb.runroot, 'containers', id))).toBe(false);
      expect(userProcesses(sb.user, 'sleep 0.03')).toEqual([]);
    }
    expect(tsctr(sb, ['ps', '-a', '--format', '{{.Names}}']).stdout).not.toMatch(/^blink$/m);
  });

  it('rm without -f refuses a container between restarts, as docker does', async () => {
    tsctr(sb, ['run', '-d', '--name', 'lazarus', '--restart', 'always', image, 'true']);
    // Runs of `true` end at once: it is between restarts nearly all the time.
    let r = tsctr(sb, ['rm', 'lazarus']);
    for (let i = 0; i < 20 && !r.stderr.includes('is restarting'); i++) {
      await sleep(20);
      r = tsctr(sb, ['rm', 'lazarus']);
    }
    expect(r.code).toBe(1); // as docker's rm of a running one: the item failed
    expect(r.stderr).toContain(
      'cannot remove container "/lazarus": container is restarting: stop the container before removing or force remove',
    );
    expect(tsctr(sb, ['rm', '-f', 'lazarus']).code).toBe(0);
  });

  it("refuses docker's invalid combinations with 125", () => {
    for (const [args, text] of [
      [['--restart', 'always', '--rm'], 'Conflicting options: --restart and --rm'],
      [['--restart', 'sometimes'], 'invalid restart policy format: sometimes'],
      [
        ['--restart', 'always:3'],
        "maximum retry count cannot be used with restart policy 'always'",
      ],
    ] as const) {
      const r = tsctr(sb, ['run', ...args, image, 'true']);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(text);
    }
  });
});

describe('pause, unpause, top, container prune', () => {
  it('pause stops every process of the container, unpause resumes them', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'counter',
      image,
      'sh',
      '-c',
      // A counter: busybox's date has no %N, and whole seconds may not change in the window.
      'i=0; while true; do i=$((i+1)); echo $i > /tmp/tick; sleep 0.05; done',
    ]);
    await statusOf('counter', /^Up/);
    await sleep(200);
    expect(tsctr(sb, ['pause', 'counter'])).toMatchObject({ code: 0, stdout: 'counter\n' });
    expect(await statusOf('counter', /\(Paused\)$/)).toMatch(/^Up .* \(Paused\)$/);
    expect(
      tsctr(sb, ['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'counter']).stdout,
    ).toBe('paused true\n');
    const upper = join(
      sb.root,
      'containers',
      tsctr(sb, ['inspect', '-f', '{{.Id}}', 'counter']).stdout.trim(),
      'upper',
      'tmp',
      'tick',
    );
    const frozen = readFileSync(upper, 'utf8');
    await sleep(400);
    expect(readFileSync(upper, 'utf8')).toBe(frozen);
    expect(tsctr(sb, ['pause', 'counter']).stderr).toContain('is already paused');
    const ex = tsctr(sb, ['exec', 'counter', 'true']);
    expect(ex.stderr).toContain('is paused, unpause the container before exec');
    expect(tsctr(sb, ['unpause', 'counter'])).toMatchObject({ code: 0, stdout: 'counter\n' });
    await sleep(400);
    expect(readFileSync(upper, 'utf8')).not.toBe(frozen);
    expect(tsctr(sb, ['unpause', 'counter']).stderr).toContain('is not paused');
    // A paused container still stops.
    tsctr(sb, ['pause', 'counter']);
    expect(tsctr(sb, ['stop', '-t', '1', 'counter']).code).toBe(0);
    expect(await statusOf('counter', /^Exited/)).toMatch(/^Exited \(137\)/);
  });

  it('top lists the container processes through ps, with its options', async () => {
    tsctr(sb, ['run', '-d', '--name', 'tops', image, 'sh', '-c', 'sleep 300 & sleep 301']);
    await statusOf('tops', /^Up/);
    await sleep(200);
    const r = tsctr(sb, ['top', 'tops']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.replace(/^.*\d\d:\d\d:\d\d /, ''))
        .sort(),
      // sh has exec'd its last command: pid 1 is sleep 301.
    ).toEqual(['sleep 300', 'sleep 301']);
    expect(
      tsctr(sb, ['top', 'tops', '-o', 'pid,comm'])
        .stdout.split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/)[1])
        .sort(),
    ).toEqual(['sleep', 'sleep']);
    tsctr(sb, ['rm', '-f', 'tops']);
  });

  it('container prune removes what is not running and says how much it freed', () => {
    tsctr(sb, ['run', '--name', 'fat', image, 'sh', '-c', 'head -c 300000 /dev/zero > /big']);
    tsctr(sb, ['run', '-d', '--name', 'alive', image, 'sleep', '300']);
    const r = tsctr(sb, ['container', 'prune', '-f']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Deleted Containers:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: \d/);
    const kb = Number(/space: ([\d.]+)kB/.exec(r.stdout)?.[1]);
    expect(kb).toBeGreaterThanOrEqual(300);
    const left = (status: string) => tsctr(sb, ['ps', '-aq', '-f', `status=${status}`]).stdout;
    expect([left('exited'), left('created')]).toEqual(['', '']);
    expect(tsctr(sb, ['ps', '--format', '{{.Names}}']).stdout).toMatch(/^alive$/m);
    tsctr(sb, ['rm', '-f', 'alive']);
  });
});
