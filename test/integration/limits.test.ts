/**
 * Resource limits on this host, whose cgroups are a v1/v2 hybrid with nothing delegated: the
 * limit flags are refused with the reason and the fix, and accepted with the opt-in (the flag
 * or the config key), which warns once; either way inspect shows them as docker does.
 */
import { mkdirSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { tsctr, type Sandbox } from './harness.ts';

const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

describe('limit flags where no cgroup is delegated', () => {
  it('are refused with exit 125, the reason and the fix, leaving no container', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--name',
      'capped',
      '--memory',
      '32m',
      '--cpus',
      '0.5',
      image,
      'true',
    ]);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'Error: --memory, --cpus: resource limits need cgroup v2 controllers delegated to you: this host mounts cgroup v1 and v2 together, with no v2 controllers\n' +
        'Hint: boot the host with cgroup v2 alone (systemd.unified_cgroup_hierarchy=1 on the kernel command line, the default since systemd 247), or run without them: add --ignore-limits, or set "ignore-limits": true in ~/.config/tsctr/config.json\n',
    );
    expect(tsctr(sb, ['ps', '-aq']).stdout).toBe('');
    expect(tsctr(sb, ['info']).stdout).toContain(
      '  Limits and stats: no cgroup of their own (this host mounts cgroup v1 and v2 together, with no v2 controllers): limits refused unless --ignore-limits, stats from /proc\n',
    );
    for (const flags of [
      ['--pids-limit', '20'],
      ['-c', '512'],
      ['--blkio-weight', '300'],
    ]) {
      const x = tsctr(sb, ['create', ...flags, image, 'true']);
      expect(x.code).toBe(125);
      expect(x.stderr).toContain(
        `Error: ${flags[0] === '-c' ? '--cpu-shares' : flags[0]}: resource limits need`,
      );
    }
  });

  it('run without the limits after one warning with --ignore-limits, and inspect shows them', () => {
    const r = tsctr(sb, [
      'run',
      '--name',
      'opted',
      '-m',
      '32m',
      '--cpus',
      '0.5',
      '--pids-limit',
      '20',
      '--ignore-limits',
      image,
      'echo',
      'ran',
    ]);
    expect(r).toMatchObject({
      code: 0,
      stdout: 'ran\n',
      stderr:
        'WARNING: resource limits ignored (--memory, --cpus, --pids-limit): this host mounts cgroup v1 and v2 together, with no v2 controllers\n',
    });
    const f = tsctr(sb, [
      'inspect',
      '--format',
      '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}}',
      'opted',
    ]);
    expect(f.stdout).toBe('33554432 67108864 500000000 20 0\n');
    // Without limits the keys are there with docker's defaults.
    expect(tsctr(sb, ['run', '--name', 'plain', image, 'true']).code).toBe(0);
    expect(
      tsctr(sb, [
        'inspect',
        '--format',
        '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{json .HostConfig.BlkioDeviceReadBps}}',
        'plain',
      ]).stdout,
    ).toBe('0 <nil> []\n');
  });

  it('run without them when the config file says "ignore-limits": true', () => {
    const dir = join(sb.configHome, 'tsctr');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"ignore-limits": true}\n');
    chownSync(dir, sb.user.uid, sb.user.gid);
    try {
      const r = tsctr(sb, ['run', '--rm', '--memory', '64m', image, 'true']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^WARNING: resource limits ignored \(--memory\): /);
    } finally {
      writeFileSync(join(dir, 'config.json'), '{}\n');
    }
  });

  it("refuses malformed and impossible values with docker's words", () => {
    const cases: [string[], string][] = [
      [
        ['-m', 'lots'],
        `Error: invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'`,
      ],
      [['-m', '1m'], 'Error: Minimum memory limit allowed is 6MB'],
      [['--cpus', '64'], 'Error: Range of CPUs is from 0.01 to '],
      [
        ['--cpus', '1', '--cpu-quota', '50000'],
        'Error: Conflicting options: Nano CPUs and CPU Quota cannot both be set',
      ],
      [
        ['--memory-swap', '1g'],
        'Error: You should always set the Memory limit when using Memoryswap limit, see usage',
      ],
      [
        ['--device-read-bps', '/dev/sda:fast'],
        'Error: invalid argument "/dev/sda:fast" for "--device-read-bps" flag: invalid rate for device',
      ],
    ];
    for (const [flags, message] of cases) {
      const r = tsctr(sb, ['run', '--rm', ...flags, '--ignore-limits', image, 'true']);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(message);
    }
  });

  it('are refused by update too, and update wants a flag', () => {
    const u = tsctr(sb, ['update', '--memory', '64m', 'opted']);
    expect(u.code).toBe(125);
    expect(u.stderr).toContain('Error: --memory: resource limits need cgroup v2 controllers');
    const none = tsctr(sb, ['update', 'opted']);
    expect(none.code).toBe(125);
    expect(none.stderr).toContain('you must provide one or more flags when using this command');
  });
});
