/**
 * A delegated cgroup from the user's systemd manager, in the VM tier. The CLI runs from a
 * root-owned session scope, as a shell of an ssh or console login does, so it cannot make
 * cgroups where it is; a real `systemd --user` serves the test user from user@UID.service, and
 * tsctr asks it for a scope with Delegate=yes (systemd-run --user --scope), as podman does.
 *
 * The VM has no systemd as PID 1. Two things stand in for it: /run/systemd/system (what
 * sd_booted(3) checks) and the user's write access to user-UID.slice's cgroup.procs, which lets
 * the user manager move a process from the session scope into its own tree; on a systemd host
 * it asks PID 1 to do that move (AttachProcessesToUnit).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from '../integration/busybox.ts';
import { BIN, type Result, type Sandbox } from '../integration/harness.ts';

const CGROUP2_MAGIC = 0x63677270;
const CG = '/sys/fs/cgroup';

const box = withBusybox();
let sb: Sandbox;
let image: string;
let manager: ChildProcess | undefined;
let runtimeDir: string;
let slice: string;
let session: string;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** `argv` as the test user from the login's session scope, with its runtime directory. */
function asUser(argv: string[], env: Record<string, string> = {}): Result {
  const r = spawnSync(
    'sh',
    [
      '-c',
      'echo $$ >"$0/cgroup.procs" && u=$1 g=$2 && shift 2 && exec setpriv --reuid="$u" --regid="$g" --init-groups -- "$@"',
      session,
      String(sb.user.uid),
      String(sb.user.gid),
      ...argv,
    ],
    {
      env: { ...sb.env, XDG_RUNTIME_DIR: runtimeDir, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const tsctr = (args: string[]) => asUser([BIN, ...args]);
const inspect = (name: string, format: string) =>
  tsctr(['inspect', '--format', format, name]).stdout.trim();
const cgroupOf = (pid: string) =>
  /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'latin1'))![1]!;

beforeAll(async () => {
  ({ sb, image } = box);
  expect(statfsSync(CG).type, 'run through npm run test:vm').toBe(CGROUP2_MAGIC);
  const uid = sb.user.uid;
  runtimeDir = `/run/user/${uid}`;
  slice = join(CG, `user.slice/user-${uid}.slice`);
  session = join(slice, 'session-9.scope');
  const service = join(slice, `user@${uid}.service`);
  mkdirSync(session, { recursive: true });
  mkdirSync(join(service, 'init.scope'), { recursive: true });
  for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads'])
    chownSync(join(service, 'init.scope', f), uid, sb.user.gid);
  chownSync(join(slice, 'cgroup.procs'), uid, sb.user.gid);
  mkdirSync('/run/systemd/system', { recursive: true });
  // The user manager, from user@UID.service's init.scope as systemd starts it.
  manager = spawn(
    'sh',
    [
      '-c',
      'echo $$ >"$0/cgroup.procs" && exec setpriv --reuid="$1" --regid="$2" --init-groups -- /lib/systemd/systemd --user',
      join(service, 'init.scope'),
      String(uid),
      String(sb.user.gid),
    ],
    {
      env: { HOME: sb.home, PATH: '/usr/bin:/bin', XDG_RUNTIME_DIR: runtimeDir },
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 300 && !existsSync(join(runtimeDir, 'systemd/private')); i++)
    await sleep(100);
  expect(existsSync(join(runtimeDir, 'systemd/private')), 'systemd --user started').toBe(true);
});

afterAll(() => {
  tsctr(['rm', '-f', 'sd1']);
  manager?.kill('SIGTERM');
  spawnSync('pkill', ['-KILL', '-u', String(sb.user.uid), '-f', 'sleep infinity']);
  rmSync('/run/systemd', { recursive: true, force: true });
  chownSync(join(slice, 'cgroup.procs'), 0, 0);
});

describe("a delegated scope from the user's systemd manager", () => {
  it('puts each container in a cgroup below tsctr.scope, with its limits', () => {
    // Nothing of the session scope is writable: only systemd can delegate here.
    expect(asUser(['sh', '-c', `mkdir ${session}/x`]).code).not.toBe(0);
    const r = tsctr([
      'run',
      '-d',
      '--name',
      'sd1',
      '--memory',
      '64m',
      '--pids-limit',
      '30',
      '--device-read-bps',
      '/dev/vda:1mb',
      '--device-write-iops',
      '/dev/vda:200',
      image,
      'sh',
      '-c',
      'busybox dd if=/dev/urandom of=/f bs=1M count=3 2>/dev/null; sync; exec sleep 300',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = inspect('sd1', '{{.Id}}');
    const pid = inspect('sd1', '{{.State.Pid}}');
    const scope = `/user.slice/user-${sb.user.uid}.slice/user@${sb.user.uid}.service/app.slice/tsctr.scope`;
    expect(cgroupOf(pid)).toBe(`${scope}/tsctr/${id}`);
    const file = (f: string) => readFileSync(join(CG, scope, 'tsctr', id, f), 'latin1').trim();
    expect(file('memory.max')).toBe(String(64 * 2 ** 20));
    expect(file('pids.max')).toBe('30');
    const vda = readFileSync('/sys/block/vda/dev', 'utf8').trim();
    expect(file('io.max')).toBe(`${vda} rbps=1048576 wbps=max riops=max wiops=200`);
    // The monitor stays in the login's session scope, outside the container's cgroup.
    const monitor = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]!;
    expect(cgroupOf(monitor)).toBe(`/user.slice/user-${sb.user.uid}.slice/session-9.scope`);
    // systemd knows the scope as delegated, and its only process sits in a leaf.
    const show = asUser([
      'systemctl',
      '--user',
      'show',
      '--property=Delegate',
      '--property=ControlGroup',
      'tsctr.scope',
    ]);
    expect(show.stdout).toContain('Delegate=yes');
    expect(show.stdout).toContain(`ControlGroup=${scope}`);
    expect(readFileSync(join(CG, scope, 'cgroup.procs'), 'latin1')).toBe('');
    const holder = readFileSync(join(CG, scope, 'holder/cgroup.procs'), 'latin1').trim();
    expect(readFileSync(`/proc/${holder}/cmdline`, 'latin1')).toMatch(/sleep\0infinity\0$/);
    // Stats come from the cgroup: no note about /proc.
    const stats = tsctr(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'sd1']);
    expect(stats.stderr).toBe('');
    expect(stats.stdout.trim()).toMatch(/ \/ 64MiB$/);
    expect(tsctr(['info', '--format', '{{.CgroupLimits}}']).stdout).toContain(
      `${scope}/tsctr, systemd's tsctr.scope`,
    );
  });

  it('throttles reads with --device-read-bps', async () => {
    for (let i = 0; i < 100 && tsctr(['exec', 'sd1', 'ls', '/f']).code !== 0; i++) await sleep(200);
    // The container wrote /f and synced it; with the page cache dropped, reading it hits vda.
    execFileSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);
    const start = Date.now();
    const r = tsctr(['exec', 'sd1', 'busybox', 'dd', 'if=/f', 'of=/dev/null', 'bs=1M']);
    expect(r.code).toBe(0);
    // 3 MiB at 1 MiB/s.
    expect(Date.now() - start).toBeGreaterThan(2000);
  });

  it('reuses the scope for the next container, and removes each container cgroup with it', () => {
    const id = inspect('sd1', '{{.Id}}');
    const scope = join(
      CG,
      `user.slice/user-${sb.user.uid}.slice/user@${sb.user.uid}.service/app.slice/tsctr.scope`,
    );
    expect(tsctr(['rm', '-f', 'sd1']).code).toBe(0);
    expect(existsSync(join(scope, 'tsctr', id))).toBe(false);
    const r = tsctr(['run', '--rm', '--memory', '32m', image, 'cat', '/proc/self/cgroup']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^0::\/user\.slice\/.*\/app\.slice\/tsctr\.scope\/tsctr\/[0-9a-f]{64}\n$/,
    );
    expect(
      readFileSync(join(scope, 'holder/cgroup.procs'), 'latin1').trim().split('\n'),
    ).toHaveLength(1);
  });
});
