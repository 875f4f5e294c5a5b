/**
 * The foundation's path, end to end: pull from a real registry and run rootless containers as an
 * unprivileged user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { seedBusybox } from '../fixtures/images.ts';
import { sandbox, tsctr, tsctrAsync, tsctrAwait, type Sandbox } from './harness.ts';

let reg: TestRegistry;
let sb: Sandbox;
let image: string;

beforeAll(async () => {
  reg = await startRegistry();
  await seedBusybox(reg.host, 'busybox', 'latest');
  image = `${reg.host}/busybox`;
  sb = sandbox();
});

afterAll(async () => {
  sb?.cleanup();
  await reg?.stop();
});

/** Processes whose command line starts with `prefix` (so the CLI's own argv does not match). */
function allProcesses(prefix: string): string[] {
  return spawnSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) =>
      l
        .trim()
        .replace(/^\d+\s+/, '')
        .startsWith(prefix),
    );
}

/** This file's container monitors, wherever the CLI under test keeps its helper. */
function monitors(): string[] {
  return spawnSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => /^\s*\d+\s+\S*\/tsctr-monitor\s/.test(l) && l.includes(sb.dir));
}

async function waitForProcess(needle: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const found = allProcesses(needle);
    if (found.length) return Number(found[0]!.trim().split(/\s+/)[0]);
    if (Date.now() - started > 20_000) throw new Error(`${needle} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('pull', () => {
  it('pulls an image from a loopback registry as docker prints it', () => {
    const r = tsctr(sb, ['pull', image]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Using default tag: latest');
    expect(lines[1]).toBe('latest: Pulling from busybox');
    expect(lines.filter((l) => /^[0-9a-f]{12}: Pull complete$/.test(l))).toHaveLength(3);
    expect(lines.at(-3)).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(lines.at(-2)).toBe(`Status: Downloaded newer image for ${image}:latest`);
    expect(lines.at(-1)).toBe(`${image}:latest`);
    expect(readdirSync(join(sb.root, 'layers'))).toHaveLength(3);
    expect(readdirSync(join(sb.root, 'tmp'))).toEqual([]);
  });

  it('says the image is up to date on a second pull', () => {
    const r = tsctr(sb, ['pull', image]);
    expect(r.code).toBe(0);
    // As docker: no layer lines for an image already in the store.
    expect(r.stdout).not.toMatch(/^[0-9a-f]{12}: /m);
    expect(r.stdout).toContain(`Status: Image is up to date for ${image}:latest`);
  });

  it('refuses a malformed reference with exit 125 and docker wording', () => {
    const r = tsctr(sb, ['pull', 'bad::ref']);
    expect(r.code).toBe(125);
    expect(r.stderr.split('\n')[0]).toBe('Error: invalid reference format');
  });

  it('reports an unknown image with exit 125', () => {
    const r = tsctr(sb, ['pull', `${reg.host}/nosuch:tag`]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Error: manifest for .*nosuch:tag not found: manifest unknown/);
  });
});

describe('run', () => {
  it('runs the issue path: root in the container, its own hostname, pid 1, the exit code', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      image,
      'sh',
      '-c',
      'id; hostname; echo $$; cat /proc/1/cmdline; exit 7',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(7);
    const [id, hostname, pid, cmdline] = r.stdout.split('\n');
    expect(id).toMatch(/^uid=0\(root\) gid=0\(root\)/);
    expect(hostname).toMatch(/^[0-9a-f]{12}$/);
    expect(pid).toBe('1');
    expect(cmdline).toBe('sh\0-c\0id; hostname; echo $$; cat /proc/1/cmdline; exit 7\0');
  });

  it('leaves no process, container directory or mount behind with --rm', () => {
    const r = tsctr(sb, ['run', '--rm', image, 'sleep', '0.2']);
    expect(r.code).toBe(0);
    expect(readdirSync(join(sb.root, 'containers'))).toEqual([]);
    expect(readdirSync(join(sb.runroot, 'containers'))).toEqual([]);
    expect(readdirSync(join(sb.root, 'names'))).toEqual([]);
    expect(monitors()).toEqual([]);
    // The overlay lives only in the container's mount namespace: the host never sees it.
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.root);
  });

  it('applies the layers: whiteout, opaque dir, owners, links, long paths', () => {
    const script = [
      'test -e /gone.txt && echo gone-present',
      'ls /old',
      'stat -c "%U %G %a" /home/user/owned',
      'readlink /etc/abs-link',
      'cat /etc/abs-link | head -1',
      '[ "$(stat -c %i /bin/sh)" = "$(stat -c %i /bin/busybox)" ] && echo hardlinked',
      'ls /long/*/',
      'cat /layer2.txt /layer3.txt',
    ].join('; ');
    const r = tsctr(sb, ['run', '--rm', image, 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    expect(out).not.toContain('gone-present');
    expect(out[0]).toBe('new.txt');
    expect(out[1]).toBe('user user 640');
    expect(out[2]).toBe('/etc/passwd');
    expect(out[3]).toMatch(/^root:x:0:0:/);
    expect(out[4]).toBe('hardlinked');
    expect(out[5]).toMatch(/^f+\.txt$/);
  });

  it('honours -e, -w, -u, --entrypoint, --hostname and the image Env/Cmd', () => {
    let r = tsctr(sb, [
      'run',
      '--rm',
      '-e',
      'FOO=bar',
      '-w',
      '/tmp/wd',
      '-u',
      'user',
      image,
      'sh',
      '-c',
      'echo $FOO; pwd; id -u; id -g; echo $HOME; echo $PATH',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `bar\n/tmp/wd\n1000\n1000\n/home/user\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n`,
    );
    r = tsctr(sb, ['run', '--rm', '-u', '1000:0', image, 'id']);
    expect(r.stdout.trim()).toMatch(/^uid=1000\(user\) gid=0\(root\)/);
    r = tsctr(sb, ['run', '--rm', '--entrypoint', 'echo', image, 'hello', 'world']);
    expect(r.stdout).toBe('hello world\n');
    r = tsctr(sb, [
      'run',
      '--rm',
      '--hostname',
      'box1',
      image,
      'sh',
      '-c',
      'hostname; cat /etc/hostname; echo $HOSTNAME',
    ]);
    expect(r.stdout).toBe('box1\nbox1\nbox1\n');
    // No command: the image's Cmd (sh) runs, reading an empty stdin.
    r = tsctr(sb, ['run', '--rm', image]);
    expect(r.code).toBe(0);
  });

  it('gives the container a minimal /dev, /proc and a read-only /sys', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      image,
      'sh',
      '-c',
      'ls /dev | tr "\\n" " "; echo; echo x > /dev/null && echo null-ok; touch /sys/x 2>/dev/null || echo sys-ro; cat /proc/1/status | grep -c NSpid',
    ]);
    expect(r.code).toBe(0);
    const [dev, nul, sys] = r.stdout.split('\n');
    for (const d of [
      'null',
      'zero',
      'full',
      'random',
      'urandom',
      'tty',
      'pts',
      'shm',
      'ptmx',
      'fd',
    ]) {
      expect(dev!.split(' ')).toContain(d);
    }
    expect(nul).toBe('null-ok');
    expect(sys).toBe('sys-ro');
  });

  it('exits 127 for a command that does not exist and 126 for one that cannot run', () => {
    let r = tsctr(sb, ['run', '--rm', image, 'nosuchcmd']);
    expect(r.code).toBe(127);
    expect(r.stderr).toBe('Error: exec: "nosuchcmd": executable file not found in $PATH\n');
    r = tsctr(sb, ['run', '--rm', image, '/etc']);
    expect(r.code).toBe(126);
    expect(r.stderr).toBe('Error: exec: "/etc": permission denied\n');
    r = tsctr(sb, ['run', '--rm', image, '/no/such']);
    expect(r.code).toBe(127);
    expect(readdirSync(join(sb.root, 'containers'))).toEqual([]);
  });

  it('reports 128+N when the command is killed by signal N', async () => {
    // A pid-namespace init only receives signals it handles — SIGKILL excepted, and only from
    // an ancestor namespace — so kill it from the host.
    const child = tsctrAsync(sb, ['run', '--rm', image, 'sleep', '4243']);
    const pid = await waitForProcess('sleep 4243');
    process.kill(pid, 'SIGKILL');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(137);
  });

  it('refuses bad flags and names with exit 125', () => {
    let r = tsctr(sb, ['run', '--nosuchflag', image]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("Error: unknown flag: --nosuchflag\nHint: See 'tsctr run --help'.\n");
    r = tsctr(sb, ['run', '--rm', '--name', 'bad/name', image, 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('Invalid container name (bad/name)');
    r = tsctr(sb, ['run', '--rm', 'Bad::Ref']);
    expect(r.code).toBe(125);
  });

  it('keeps a container without --rm, and refuses its name a second time', () => {
    let r = tsctr(sb, ['run', '--name', 'keeper', image, 'sh', '-c', 'exit 3']);
    expect(r.code).toBe(3);
    r = tsctr(sb, ['run', '--rm', '--name', 'keeper', image, 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(
      /^Error: Conflict\. The container name "\/keeper" is already in use by container "[0-9a-f]{64}"/,
    );
  });

  it('waits while image garbage collection holds the store before it claims the layers', async () => {
    // The exclusive `gc` lock is what rmi's garbage collection holds; flock(1) stands in for it.
    // The pull makes the lock file (the user's own).
    expect(tsctr(sb, ['pull', '-q', image]).code).toBe(0);
    const lock = join(sb.root, 'locks', 'gc');
    const started = join(sb.dir, 'gc-started');
    const released = join(sb.dir, 'gc-released');
    const holder = spawn('flock', [
      '-x',
      lock,
      'sh',
      '-c',
      `touch ${started}; sleep 1; touch ${released}`,
    ]);
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    for (let i = 0; !existsSync(started); i++) {
      if (i > 500) throw new Error('flock did not take the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await tsctrAwait(sb, ['run', '--name', 'after-gc', image, 'true']);
    await exited;
    expect(r.code).toBe(0);
    const created = tsctr(sb, ['inspect', '-f', '{{.Created}}', 'after-gc']).stdout.trim();
    // The container was created only after the collection had finished.
    expect(Date.parse(created)).toBeGreaterThanOrEqual(Math.floor(statSync(released).mtimeMs));
  });

  it('pulls a missing image first, as docker does', async () => {
    const other = sandbox();
    try {
      const r = tsctr(other, ['run', '--rm', image, 'echo', 'pulled']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('pulled\n');
      expect(r.stderr).toContain(`Unable to find image '${image}:latest' locally`);
      expect(r.stderr).toContain(`Status: Downloaded newer image for ${image}:latest`);
    } finally {
      other.cleanup();
    }
  });

  it('stops the container on Ctrl-C (SIGINT) and cleans up', async () => {
    const child = tsctrAsync(sb, ['run', '--rm', image, 'sleep', '4242']);
    await waitForProcess('sleep 4242');
    // setpriv execs tsctr, so the child's pid is the CLI's.
    process.kill(child.pid!, 'SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(137);
    expect(allProcesses('sleep 4242')).toEqual([]);
    expect(monitors()).toEqual([]);
    expect(existsSync(join(sb.root, 'containers'))).toBe(true);
  });
});
