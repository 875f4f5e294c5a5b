import { describe, expect, it } from 'vitest';
import { capMask, containerCaps, DEFAULT_CAPS } from '../../src/runtime/security/capabilities.ts';
import { compileProfile } from '../../src/runtime/security/seccomp.ts';
import { defaultProfile } from '../../src/runtime/security/seccomp-default.ts';
import { parseSecurityOpts } from '../../src/runtime/security/index.ts';

describe('capabilities', () => {
  it("docker's default set is 0xa80425fb", () => {
    expect(capMask(DEFAULT_CAPS)).toBe(0xa80425fbn);
    expect(capMask(containerCaps({ last: 40 }))).toBe(0xa80425fbn);
  });

  it('merges as docker: drop ALL first, add wins, any spelling', () => {
    expect(containerCaps({ drop: ['all'], add: ['cap_net_admin', 'Kill'], last: 40 })).toEqual([
      'KILL',
      'NET_ADMIN',
    ]);
    expect(containerCaps({ drop: ['CHOWN'], add: ['CHOWN'], last: 40 })).toContain('CHOWN');
    expect(containerCaps({ add: ['ALL'], last: 37 })).toHaveLength(38);
    expect(containerCaps({ privileged: true, drop: ['ALL'], last: 40 })).toHaveLength(41);
    expect(() => containerCaps({ add: ['CAP_FLY'] })).toThrow(
      'invalid capability "CAP_FLY" in --cap-add',
    );
  });
});

describe('seccomp profiles', () => {
  const rules = (caps: string[], arch = 'x64') =>
    compileProfile(defaultProfile(), caps, { arch, kernel: '6.1.0' });
  const names = (c: ReturnType<typeof rules>) => new Set(c.rules.map((r) => r.name));

  it('allows the capability-gated calls only with their capability', () => {
    const plain = names(rules(DEFAULT_CAPS));
    expect(plain.has('mount')).toBe(false);
    expect(plain.has('keyctl')).toBe(false);
    expect(plain.has('chroot')).toBe(true); // SYS_CHROOT is a default capability
    expect(plain.has('ptrace')).toBe(true); // kernel >= 4.8
    const admin = names(rules([...DEFAULT_CAPS, 'SYS_ADMIN']));
    expect(admin.has('mount') && admin.has('unshare') && admin.has('setns')).toBe(true);
    expect(
      names(compileProfile(defaultProfile(), DEFAULT_CAPS, { kernel: '4.4.0', arch: 'x64' })).has(
        'ptrace',
      ),
    ).toBe(false);
  });

  it('gives clone a namespace-flag condition and clone3 ENOSYS without SYS_ADMIN', () => {
    const c = rules(DEFAULT_CAPS);
    const clone = c.rules.filter((r) => r.name === 'clone');
    expect(clone).toEqual([
      {
        action: 'allow',
        errno: 0,
        name: 'clone',
        args: [{ index: 0, op: 'masked_eq', value: 0x7e020000n, value2: 0n }],
      },
    ]);
    expect(c.rules.find((r) => r.name === 'clone3')).toMatchObject({ action: 'errno', errno: 38 });
    const admin = rules([...DEFAULT_CAPS, 'SYS_ADMIN']).rules.filter((r) =>
      r.name.startsWith('clone'),
    );
    expect(admin.map((r) => [r.name, r.args.length])).toEqual([
      ['clone', 0],
      ['clone3', 0],
    ]);
  });

  it('picks the arches of the machine and its per-arch calls', () => {
    const x = rules(DEFAULT_CAPS);
    expect(x.arches).toEqual(['x86_64', 'x86', 'x32']);
    expect(names(x).has('arch_prctl')).toBe(true);
    const a = rules(DEFAULT_CAPS, 'arm64');
    expect(a.arches).toEqual(['aarch64', 'arm']);
    expect(names(a).has('arch_prctl')).toBe(false);
    expect(names(a).has('set_tls')).toBe(true);
  });

  it('splits several conditions on one argument into one rule each (any of them)', () => {
    const c = compileProfile(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          {
            names: ['personality'],
            action: 'SCMP_ACT_ALLOW',
            args: [
              { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
              { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
            ],
          },
          { names: ['write'], action: 'SCMP_ACT_ERRNO' }, // same as the default: dropped
        ],
      },
      [],
    );
    expect(c.rules).toHaveLength(2);
    expect(c.rules.every((r) => r.args.length === 1)).toBe(true);
  });

  it('refuses unknown actions and operators, naming the profile', () => {
    expect(() =>
      compileProfile({ defaultAction: 'SCMP_ACT_NOPE' }, [], { source: 'p.json' }),
    ).toThrow('seccomp profile p.json: unknown action "SCMP_ACT_NOPE"');
    expect(() =>
      compileProfile(
        {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [
            {
              names: ['x'],
              action: 'SCMP_ACT_ERRNO',
              args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }],
            },
          ],
        },
        [],
      ),
    ).toThrow('unknown operator "SCMP_CMP_ABOUT"');
  });
});

describe('--security-opt', () => {
  it("reads docker's forms", () => {
    expect(parseSecurityOpts(['no-new-privileges'])).toMatchObject({ noNewPrivs: true });
    expect(parseSecurityOpts(['no-new-privileges:true', 'no-new-privileges=false'])).toMatchObject({
      noNewPrivs: false,
    });
    expect(parseSecurityOpts(['seccomp=unconfined'])).toMatchObject({ seccomp: 'unconfined' });
    expect(parseSecurityOpts(['seccomp:/p.json'])).toMatchObject({ seccomp: { path: '/p.json' } });
    expect(parseSecurityOpts(['label=disable', 'apparmor=unconfined'])).toMatchObject({
      seccomp: 'default',
    });
    expect(() => parseSecurityOpts(['no-new-privileges=maybe'])).toThrow('invalid --security-opt');
    expect(() => parseSecurityOpts(['label=type:svirt_t'])).toThrow('no SELinux label');
  });
});
