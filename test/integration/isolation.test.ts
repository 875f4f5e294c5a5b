import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { tsctr, type Sandbox } from './harness.ts';

// What a container may do, seen from inside it: capabilities, no_new_privs, the seccomp filter,
// masked /proc and /sys paths, its descriptors and the processes it sees.
const box = withBusybox();
let sb: Sandbox;
let image: string;
let probe: string;
beforeAll(() => {
  ({ sb, image } = box);
  // A static probe that makes raw syscalls (busybox has no keyctl or bpf), carried in as base64.
  const out = join(sb.dir, 'probe');
  execFileSync('cc', ['-static', '-O1', '-o', out, 'test/fixtures/syscall-probe.c']);
  probe = readFileSync(out).toString('base64');
});

const CALLS = [
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'perf_event_open',
  'kexec_load',
  'open_by_handle_at',
  'mount',
  'unshare-user',
  'unshare-net',
  'clone3',
  'socket-vsock',
  'personality-query',
  'getpid',
];

function probeIn(flags: string[]): Record<string, string> {
  const r = tsctr(
    sb,
    [
      'run',
      '--rm',
      '-i',
      ...flags,
      image,
      'sh',
      '-c',
      `base64 -d > /tmp/p && chmod +x /tmp/p && /tmp/p ${CALLS.join(' ')}`,
    ],
    { input: probe },
  );
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
}

function status(flags: string[], user?: string): Record<string, string> {
  const r = tsctr(sb, [
    'run',
    '--rm',
    ...(user ? ['-u', user] : []),
    ...flags,
    image,
    'cat',
    '/proc/self/status',
  ]);
  expect(r.code).toBe(0);
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => /^(Cap|NoNewPrivs|Seccomp)/.test(l))
      .map((l) => l.split(/:\s+/) as [string, string]),
  );
}

describe('capabilities', () => {
  it("gives root docker's default set, and a non-root user none in effect", () => {
    expect(status([])).toMatchObject({
      CapInh: '0000000000000000',
      CapPrm: '00000000a80425fb',
      CapEff: '00000000a80425fb',
      CapBnd: '00000000a80425fb',
      CapAmb: '0000000000000000',
      NoNewPrivs: '0',
      Seccomp: '2',
    });
    expect(status([], '1000')).toMatchObject({
      CapPrm: '0000000000000000',
      CapEff: '0000000000000000',
      CapBnd: '00000000a80425fb',
    });
  });

  it('applies --cap-drop ALL, --cap-add in any spelling, and no-new-privileges', () => {
    expect(
      status([
        '--cap-drop',
        'ALL',
        '--cap-add',
        'net_admin',
        '--cap-add',
        'CAP_KILL',
        '--security-opt',
        'no-new-privileges',
      ]),
    ).toMatchObject({
      CapEff: '0000000000001020',
      CapBnd: '0000000000001020',
      NoNewPrivs: '1',
      Seccomp: '2',
    });
    expect(status(['--cap-drop', 'chown', '--cap-drop', 'NET_RAW'])).toMatchObject({
      CapBnd: (0xa80425fbn & ~1n & ~(1n << 13n)).toString(16).padStart(16, '0'),
    });
  });

  it('--privileged: every capability, no filter, nothing masked', () => {
    const s = status(['--privileged']);
    const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
    expect(s).toMatchObject({
      CapEff: ((1n << BigInt(last + 1)) - 1n).toString(16).padStart(16, '0'),
      Seccomp: '0',
    });
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--privileged',
      image,
      'sh',
      '-c',
      'grep -c " /proc/kcore " /proc/self/mountinfo || true',
    ]);
    expect(r.stdout.trim()).toBe('0');
  });

  it('refuses an unknown capability and an unsupported security option with 125', () => {
    const a = tsctr(sb, ['run', '--rm', '--cap-add', 'FLY', image, 'true']);
    expect(a.code).toBe(125);
    expect(a.stderr).toContain('invalid capability "FLY" in --cap-add');
    const b = tsctr(sb, [
      'run',
      '--rm',
      '--security-opt',
      'apparmor=docker-default',
      image,
      'true',
    ]);
    expect(b.code).toBe(125);
    expect(b.stderr).toContain('tsctr applies no AppArmor profile');
    const c = tsctr(sb, [
      'run',
      '--rm',
      '--security-opt',
      'seccomp=/nonexistent.json',
      image,
      'true',
    ]);
    expect(c.code).toBe(125);
    expect(c.stderr).toContain('opening seccomp profile (/nonexistent.json) failed: ENOENT');
  });
});

describe('seccomp', () => {
  it("denies what docker's default profile denies, where the kernel alone would allow it", () => {
    const confined = probeIn([]);
    const open = probeIn(['--security-opt', 'seccomp=unconfined']);
    // Allowed by the kernel in a user namespace, denied by the filter.
    for (const call of ['keyctl', 'unshare-user', 'unshare-net', 'socket-vsock']) {
      expect(open[call], call).toBe('OK');
      expect(confined[call], call).toBe('EPERM');
    }
    // The kernel's own answer without the filter (bad arguments), EPERM with it.
    for (const call of [
      'add_key',
      'request_key',
      'bpf',
      'mount',
      'open_by_handle_at',
      'kexec_load',
      'perf_event_open',
    ]) {
      expect(open[call], call).not.toBe('EPERM');
      expect(confined[call], call).toBe('EPERM');
    }
    // clone3 answers ENOSYS, so a libc falls back to clone; harmless calls work.
    expect(confined).toMatchObject({ clone3: 'ENOSYS', 'personality-query': 'OK', getpid: 'OK' });
  });

  it('keeps the compiled filter, and builds it again when the kept one is damaged', () => {
    const dir = join(sb.root, 'seccomp');
    probeIn([]);
    const kept = readdirSync(dir).filter((f) => f.endsWith('.bpf'));
    expect(kept.length).toBeGreaterThan(0);
    const file = join(dir, kept[0]!);
    const good = readFileSync(file);
    // Torn after the header: not a whole program.
    writeFileSync(file, good.subarray(0, good.indexOf(0x0a) + 5));
    expect(probeIn([])).toMatchObject({ keyctl: 'EPERM', getpid: 'OK' });
    expect(readFileSync(file).equals(good)).toBe(true);
    // Another libseccomp's header: rebuilt too.
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('tsctr-seccomp-bpf 1 libseccomp 0.0.0\n'),
        good.subarray(good.indexOf(0x0a) + 1),
      ]),
    );
    expect(probeIn([])).toMatchObject({ keyctl: 'EPERM' });
    expect(readFileSync(file).equals(good)).toBe(true);
  });

  it('opens the calls of a capability given with --cap-add', () => {
    const p = probeIn(['--cap-add', 'SYS_ADMIN']);
    expect(p).toMatchObject({ mount: 'ENOENT', 'unshare-user': 'OK', keyctl: 'EPERM' });
  });

  it("loads a profile in docker's format from a file", () => {
    const file = join(sb.home, 'profile.json');
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['keyctl'], action: 'SCMP_ACT_ERRNO' },
        { names: ['no_such_call_here'], action: 'SCMP_ACT_ERRNO' },
      ],
    };
    execFileSync('sh', ['-c', `cat > ${file} && chown ${sb.user.uid} ${file}`], {
      input: JSON.stringify(profile),
    });
    const p = probeIn(['--security-opt', `seccomp=${file}`]);
    expect(p).toMatchObject({ getpid: 'EACCES', keyctl: 'EPERM', 'unshare-user': 'OK' });
  });
});

describe('what the container sees', () => {
  it('masks and freezes /proc and /sys paths as docker does', () => {
    // Which of docker's masked files this kernel has (kcore is often built out).
    const files = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'].filter(
      existsSync,
    );
    expect(files.length).toBeGreaterThan(0);
    const r = tsctr(sb, [
      'run',
      '--rm',
      image,
      'sh',
      '-c',
      `for f in ${files.join(' ')}; do wc -c < $f; done; ls /sys/firmware | wc -l; ` +
        'echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo wrote || echo refused; ' +
        'echo 1 > /proc/sysrq-trigger 2>/dev/null && echo wrote || echo refused',
    ]);
    expect(r.stdout.split('\n').map((l) => l.trim())).toEqual([
      ...files.map(() => '0'),
      '0',
      'refused',
      'refused',
      '',
    ]);
  });

  it('gets no descriptor of the host beyond its stdio, and sees only its own processes', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      image,
      'sh',
      '-c',
      'ls /proc/self/fd; echo --; ls /proc | grep -E "^[0-9]+$"',
    ]);
    const [fds, pids] = r.stdout.split('--\n');
    // 0-2, and the directory ls itself opened.
    expect(fds!.trim().split('\n')).toEqual(['0', '1', '2', '3']);
    // sh (pid 1), ls and grep.
    expect(
      pids!
        .trim()
        .split('\n')
        .map(Number)
        .sort((a, b) => a - b)[0],
    ).toBe(1);
    expect(pids!.trim().split('\n').length).toBeLessThanOrEqual(3);
  });
});
