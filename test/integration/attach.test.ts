import { createHash } from 'node:crypto';
import { globSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { BIN, IS_BINARY, runAs, tsctr, type Sandbox } from './harness.ts';

// The monitor holds every container's stdio: its log, attached clients, detach keys, --init.
const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let typescripts = 0;

/**
 * Runs `command` (sh syntax, $T is the CLI) on a terminal of its own (script(1)); once `marker`
 * shows in what the terminal printed, types `keys` (printf syntax) on it.
 */
function typeAfter(command: string, marker: string, keys: string) {
  const log = join(sb.dir, `typescript-${++typescripts}`);
  const feeder = `(i=0; until grep -q ${quote(marker)} ${log} 2>/dev/null || [ $i -gt 300 ]; do sleep 0.1; i=$((i+1)); done; printf ${quote(keys)}; sleep 1)`;
  const r = runAs(sb, '/bin/sh', [
    '-c',
    `export T=${quote(BIN)}; ${feeder} | script -qfec ${quote(command)} ${log} >/dev/null`,
  ]);
  return { ...r, text: readFileSync(log, 'utf8').replace(/\r\n/g, '\n') };
}

async function until(what: () => boolean, label: string) {
  for (let i = 0; i < 100; i++) {
    if (what()) return;
    await new Promise((d) => setTimeout(d, 50));
  }
  throw new Error(`timed out waiting for ${label}`);
}

const status = (name: string) =>
  tsctr(sb, ['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.State}}']).stdout.trim();

describe('the log', () => {
  it('keeps a foreground container output too, both streams', () => {
    const r = tsctr(sb, ['run', '--name', 'fglog', image, 'sh', '-c', 'echo out; echo err >&2']);
    expect(r).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    const logs = tsctr(sb, ['logs', 'fglog']);
    expect(logs.stdout).toBe('out\n');
    expect(logs.stderr).toBe('err\n');
  });

  it('is rotated past --log-opt max-size, keeping max-file files, and read back in order', () => {
    const r = tsctr(sb, [
      'run',
      '--name',
      'rotated',
      '--log-opt',
      'max-size=2k',
      '--log-opt',
      'max-file=3',
      image,
      'sh',
      '-c',
      'for i in $(seq 1 300); do echo line-$i; done',
    ]);
    expect(r.code).toBe(0);
    const id = tsctr(sb, ['inspect', '-f', '{{.Id}}', 'rotated']).stdout.trim();
    const dir = join(sb.root, 'containers', id);
    const files = readdirSync(dir).filter((f) => f.startsWith('ctr.log'));
    expect(files.sort()).toEqual(['ctr.log', 'ctr.log.1', 'ctr.log.2']);
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(2048);
    const lines = tsctr(sb, ['logs', 'rotated']).stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('line-300');
    // What is kept is the newest lines, in order, with nothing missing between them.
    const first = Number(lines[0]!.slice(5));
    expect(first).toBeGreaterThan(1);
    expect(lines).toEqual(Array.from({ length: 301 - first }, (_, i) => `line-${first + i}`));
    expect(tsctr(sb, ['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'rotated']).stdout).toBe(
      '{"Type":"json-file","Config":{"max-file":"3","max-size":"2k"}}\n',
    );
  });

  it('--log-driver none keeps nothing, and logs says so as docker does', () => {
    const r = tsctr(sb, ['run', '--name', 'nolog', '--log-driver', 'none', image, 'echo', 'hi']);
    expect(r.stdout).toBe('hi\n');
    const logs = tsctr(sb, ['logs', 'nolog']);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain('Error: configured logging driver does not support reading');
    const bad = tsctr(sb, ['run', '--rm', '--log-opt', 'max-file=2', image, 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('max-file cannot be set without max-size');
  });
});

describe('foreground streams', () => {
  it('-i passes piped input and ends it with the pipe', () => {
    const r = tsctr(sb, ['run', '--rm', '-i', image, 'sh', '-c', 'cat; echo end'], {
      input: 'one\ntwo\n',
    });
    expect(r).toMatchObject({ code: 0, stdout: 'one\ntwo\nend\n' });
  });

  it('a reader that goes away makes the container see a broken pipe, as on the pipe itself', () => {
    const r = runAs(sb, '/bin/sh', [
      '-c',
      `${quote(BIN)} run --rm ${image} sh -c 'cat /dev/zero | tr "\\0" y; echo "tr $?" >&2' | head -c 3; echo`,
    ]);
    expect(r.stdout).toBe('yyy\n');
    expect(r.stderr).toContain('tr 141'); // SIGPIPE
  });
});

describe('attach and detach', () => {
  it('attach follows a running container output, and refuses a stopped one', async () => {
    tsctr(sb, [
      'run',
      '-d',
      '--name',
      'ticker',
      image,
      'sh',
      '-c',
      'for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.3; done; exit 4',
    ]);
    const r = tsctr(sb, ['attach', '--no-stdin', 'ticker']);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('tick 6\n');
    const again = tsctr(sb, ['attach', 'ticker']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'Error: You cannot attach to a stopped container, start it first',
    );
  });

  it('run -d -i keeps stdin open for attach', () => {
    tsctr(sb, [
      'run',
      '-d',
      '-i',
      '--name',
      'reader',
      image,
      'sh',
      '-c',
      'read x; echo "got $x"; exit 5',
    ]);
    const r = tsctr(sb, ['attach', 'reader'], { input: 'hello\n' });
    expect(r).toMatchObject({ code: 5, stdout: 'got hello\n', stderr: '' });
    expect(
      tsctr(sb, ['inspect', '-f', '{{.Config.OpenStdin}} {{.Config.StdinOnce}}', 'reader']).stdout,
    ).toBe('true false\n');
  });

  it('Ctrl-P Ctrl-Q detaches run -it and leaves the container running; attach takes it back', async () => {
    const r = typeAfter(
      // Once in the loop, it says WAIT each second until a line comes: what shows that an
      // attached terminal is live.
      `"$T" run -it --name det ${image} sh -c 'echo MA$((1+1))RK; until read -t 1 x; do echo WA""IT; done; echo "got $x"; exit 7'`,
      'MA2RK',
      '\\020\\021',
    );
    expect(r.code).toBe(0);
    expect(status('det')).toBe('running');
    const back = typeAfter(`"$T" attach det`, 'WAIT', 'yes\\r');
    expect(back.code).toBe(7);
    expect(back.text).toContain('got yes\n');
    expect(status('det')).toBe('exited');
  });

  it('exec -it detaches the same way, and the process it started goes on', () => {
    tsctr(sb, ['run', '-d', '--name', 'exdet', image, 'sleep', '60']);
    const r = typeAfter(
      `"$T" exec -it exdet sh -c 'echo EX$((2+2))EC; exec sleep 55'`,
      'EX4EC',
      '\\020\\021',
    );
    expect(r.code).toBe(0);
    expect(tsctr(sb, ['exec', 'exdet', 'ps', '-o', 'args']).stdout).toContain('sleep 55');
    tsctr(sb, ['rm', '-f', 'exdet']);
  });

  it('--detach-keys replaces the sequence; a lone first key is passed on', async () => {
    tsctr(sb, [
      'run',
      '-dit',
      '--name',
      'keys',
      image,
      'sh',
      '-c',
      'while :; do echo TI""CK; read -t 1 x && eval "$x"; done',
    ]);
    const r = typeAfter(
      `"$T" attach --detach-keys ctrl-x,x keys`,
      'TICK',
      'echo A$((40+2))B\\r\\030\\030x',
    );
    expect(r.code).toBe(0);
    expect(status('keys')).toBe('running');
    // Typed before the detach keys, so it ran, though attach had left by the time it printed.
    await until(() => tsctr(sb, ['logs', 'keys']).stdout.includes('A42B'), 'the command to run');
    const bad = tsctr(sb, ['attach', '--detach-keys', 'ctrl-1', 'keys']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('Invalid detach keys (ctrl-1) provided');
    tsctr(sb, ['rm', '-f', 'keys']);
  });
});

describe('--init', () => {
  it('runs the command under /dev/init, which reaps orphans and passes signals on', async () => {
    // The subshell's child is orphaned, so pid 1 inherits it; without an init, pid 1 is the
    // command (sleep 30 here), which never reaps it.
    const script = '(sleep 0.2 &); wait; exec sleep 30';
    tsctr(sb, ['run', '-d', '--name', 'noinit', image, 'sh', '-c', script]);
    tsctr(sb, ['run', '-d', '--init', '--name', 'withinit', image, 'sh', '-c', script]);
    const ps = (name: string) => tsctr(sb, ['exec', name, 'ps', '-o', 'pid,stat,comm']).stdout;
    // The orphan has ended once only one sleep is left that is not a zombie, or a zombie shows.
    const settled = (out: string) =>
      / Z +sleep/.test(out) || (out.match(/ sleep$/gm) ?? []).length === 1;
    await until(() => settled(ps('noinit')) && settled(ps('withinit')), 'the orphan to end');
    expect(ps('noinit')).toMatch(/ Z +sleep/);
    const init = ps('withinit');
    expect(init).toMatch(/^ +1 S +init$/m);
    expect(init).not.toMatch(/ Z /);
    tsctr(sb, ['rm', '-f', 'noinit', 'withinit']);
    expect(
      tsctr(sb, [
        'inspect',
        '-f',
        '{{.HostConfig.Init}}',
        tsctr(sb, ['create', '--init', image]).stdout.trim(),
      ]).stdout,
    ).toBe('true\n');
  });

  it('stop ends a command that has no TERM handler of its own', () => {
    tsctr(sb, ['run', '-d', '--init', '--name', 'initstop', image, 'sleep', '60']);
    const r = tsctr(sb, ['stop', '-t', '5', 'initstop']);
    expect(r.code).toBe(0);
    expect(tsctr(sb, ['inspect', '-f', '{{.State.ExitCode}}', 'initstop']).stdout).toBe('143\n');
  });
});

describe('helpers cannot be overwritten from inside (CVE-2019-5736 class)', () => {
  // The monitor the CLI runs: the build's, or the one the binary wrote to its cache.
  const monitorPath = () =>
    IS_BINARY
      ? globSync(join(sb.home, '.cache/tsctr/app/*/native/tsctr-monitor'))[0]!
      : join(BIN, '..', '..', 'build', 'Release', 'tsctr-monitor');
  const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

  it('not through /dev/init, even privileged, nor through /proc/PID/exe during exec', async () => {
    const path = monitorPath();
    const before = digest(path);
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--init',
      '--privileged',
      image,
      'sh',
      '-c',
      'echo x >> /dev/init; mount -o remount,rw /dev/init; echo x >> /dev/init; echo done',
    ]);
    expect(r.stdout).toBe('done\n');
    expect(r.stderr).toMatch(/\/dev\/init: (Read-only file system|Text file busy)/);
    // A container that tries to open every /proc/PID/exe for writing while execs come and go.
    tsctr(sb, [
      'run',
      '-d',
      '--privileged',
      '--name',
      'hostile',
      image,
      'sh',
      '-c',
      'while :; do for e in /proc/[0-9]*/exe; do (echo x >> "$e") 2>/dev/null && echo "WROTE $e"; done; done',
    ]);
    for (let i = 0; i < 10; i++) {
      expect(tsctr(sb, ['exec', 'hostile', 'true']).code).toBe(0);
    }
    const logs = tsctr(sb, ['logs', 'hostile']).stdout;
    tsctr(sb, ['rm', '-f', 'hostile']);
    expect(logs).not.toContain('WROTE');
    expect(digest(path)).toBe(before);
  });
});

describe('ps filters', () => {
  it('ancestor, before, since and volume, as dockerd applies them', () => {
    for (const n of ['f1', 'f2', 'f3']) {
      tsctr(sb, ['create', '--name', n, ...(n === 'f2' ? ['-v', 'fvol:/data'] : []), image]);
    }
    const names = (filter: string) =>
      tsctr(sb, ['ps', '-a', '--filter', filter, '--format', '{{.Names}}'])
        .stdout.split('\n')
        .filter((l) => /^f\d$/.test(l));
    expect(names(`ancestor=${image}`)).toEqual(['f3', 'f2', 'f1']);
    expect(names(`ancestor=${image}:latest`)).toEqual(['f3', 'f2', 'f1']);
    const id = tsctr(sb, ['image', 'inspect', '-f', '{{.Id}}', image]).stdout.trim();
    expect(names(`ancestor=${id.slice(7, 19)}`)).toEqual(['f3', 'f2', 'f1']);
    expect(names('ancestor=nosuch')).toEqual([]);
    expect(names('before=f2')).toEqual(['f1']);
    expect(names('since=f2')).toEqual(['f3']);
    expect(names('volume=fvol')).toEqual(['f2']);
    expect(names('volume=/data')).toEqual(['f2']);
    const missing = tsctr(sb, ['ps', '--filter', 'since=nosuch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No such container: nosuch');
  });
});
