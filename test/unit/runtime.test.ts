import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatePaths } from '../../src/config/paths.ts';
import { reserveName } from '../../src/runtime/names.ts';
import {
  buildRanges,
  mapArgs,
  mappedCount,
  parseSubids,
  passwdName,
} from '../../src/userns/idmap.ts';
import { randomBelow, randomHex, sha256Hex } from '../../src/native/random.ts';
import { createHash } from 'node:crypto';
import { encodeSpec, type ContainerSpec } from '../../src/runtime/spec.ts';
import { commandLine, expandEnvFlags, mergeEnv } from '../../src/runtime/create.ts';
import type { ImageRecord } from '../../src/storage/store.ts';

describe('subordinate ids', () => {
  const text =
    '# comment\nalice:100000:65536\n1001:300000:1000\nbob:200000:65536\nalice:500000:10\nbad:x:1\n';

  it('keeps the entries for the user by name and by uid, in file order', () => {
    expect(parseSubids(text, { name: 'alice', id: 1001 })).toEqual([
      { start: 100000, count: 65536 },
      { start: 300000, count: 1000 },
      { start: 500000, count: 10 },
    ]);
    expect(parseSubids(text, { name: 'carol', id: 7 })).toEqual([]);
  });

  it("finds the user's name in passwd text as getpwuid would: the first line with the uid", () => {
    const passwd =
      'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/sh\nalias:x:1001:1001::/:/bin/sh\n';
    expect(passwdName(passwd, 1001)).toBe('alice');
    expect(passwdName(passwd, 0)).toBe('root');
    expect(passwdName(passwd, 1002)).toBeUndefined();
    expect(passwdName('broken\n:x:7:7\n', 7)).toBeUndefined();
  });

  it('maps container 0 to the user and 1… to the ranges, podman-style', () => {
    const r = buildRanges(1001, [
      { start: 100000, count: 65536 },
      { start: 500000, count: 10 },
    ]);
    expect(mapArgs(r)).toEqual(['0', '1001', '1', '1', '100000', '65536', '65537', '500000', '10']);
    expect(mappedCount(r)).toBe(65547);
  });
});

describe('random IDs and the spec hash (addon)', () => {
  it('hashes as node:crypto does, UTF-8 included', () => {
    for (const t of ['', 'abc', 'seccomp\0SCMP_ACT_ERRNO\x001', 'é€😀'])
      expect(sha256Hex(t)).toBe(createHash('sha256').update(t).digest('hex'));
  });

  it('gives 64-hex IDs that differ', () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomHex(32)));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('draws every value below n and none outside', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 600; i++) {
      const v = randomBelow(6);
      expect(Number.isInteger(v) && v >= 0 && v < 6).toBe(true);
      seen.add(v);
    }
    expect(seen.size).toBe(6);
    expect(randomBelow(1)).toBe(0);
    expect(() => randomBelow(0)).toThrow(RangeError);
    expect(() => randomBelow(2 ** 32 + 1)).toThrow(RangeError);
  });
});

describe('container spec encoding', () => {
  it('writes NUL-terminated keyword records in order', () => {
    const spec: ContainerSpec = {
      cloneFlags: 5,
      rootfs: '/r',
      mountCwd: '/s',
      mounts: [
        { source: 'proc', target: '/proc', fstype: 'proc', flags: 14, data: '', make: 'dir' },
      ],
      symlinks: [['/proc/self/fd', '/dev/fd']],
      masked: ['/proc/kcore'],
      readonly: [],
      hostname: 'h',
      uid: 1000,
      gid: 100,
      groups: [10],
      args: ['sh', '-c', 'echo "a b"\nnext'],
      env: ['A=1'],
      cwd: '/',
      removeOnExit: [],
      exitFile: '/x/exit',
      security: {
        caps: ['KILL'],
        capSets: [32n, 32n, 32n, 0n],
        noNewPrivs: true,
        seccomp: {
          defaultAction: 'errno',
          defaultErrno: 1,
          arches: ['x86_64'],
          rules: [
            { action: 'allow', errno: 0, name: 'read', args: [] },
            {
              action: 'allow',
              errno: 0,
              name: 'clone',
              args: [{ index: 0, op: 'masked_eq', value: 0x7e020000n, value2: 0n }],
            },
          ],
        },
        maskPaths: true,
      },
    };
    const tokens = encodeSpec(spec).toString().split('\0');
    expect(tokens.at(-1)).toBe('');
    expect(tokens.slice(0, -1)).toEqual([
      'version',
      '1',
      'clone-flags',
      '5',
      'rootfs',
      '/r',
      'mount-cwd',
      '/s',
      'mount',
      'proc',
      '/proc',
      'proc',
      '14',
      '',
      'dir',
      'symlink',
      '/proc/self/fd',
      '/dev/fd',
      'masked',
      '/proc/kcore',
      'hostname',
      'h',
      'user',
      '1000',
      '100',
      'group',
      '10',
      'arg',
      'sh',
      'arg',
      '-c',
      'arg',
      'echo "a b"\nnext',
      'env',
      'A=1',
      'cwd',
      '/',
      'exit-file',
      '/x/exit',
      'caps',
      '32',
      '32',
      '32',
      '0',
      'no-new-privs',
      'seccomp',
      'errno',
      '1',
      'seccomp-arch',
      'x86_64',
      'seccomp-rule',
      'allow',
      '0',
      'read',
      'seccomp-rule',
      'allow',
      '0',
      'clone',
      'seccomp-arg',
      '0',
      'masked_eq',
      String(0x7e020000),
      '0',
    ]);
  });

  it('refuses a value with a NUL byte', () => {
    const bad: ContainerSpec = {
      cloneFlags: 0,
      rootfs: '/r',
      mountCwd: '',
      mounts: [],
      symlinks: [],
      masked: [],
      readonly: [],
      hostname: 'h',
      uid: 0,
      gid: 0,
      groups: [],
      args: ['a\0b'],
      env: [],
      cwd: '/',
      removeOnExit: [],
      exitFile: '',
      security: {
        caps: [],
        capSets: [0n, 0n, 0n, 0n],
        noNewPrivs: false,
        seccomp: undefined,
        maskPaths: true,
      },
    };
    expect(() => encodeSpec(bad)).toThrow(/NUL/);
  });
});

describe('docker run semantics', () => {
  const image = {
    config: { config: { Entrypoint: ['/entry'], Cmd: ['default'] } },
  } as unknown as ImageRecord;

  it('combines entrypoint and command as docker does', () => {
    expect(commandLine(image, [], undefined)).toEqual(['/entry', 'default']);
    expect(commandLine(image, ['x', 'y'], undefined)).toEqual(['/entry', 'x', 'y']);
    expect(commandLine(image, ['x'], 'echo')).toEqual(['echo', 'x']);
    expect(commandLine(image, [], '')).toEqual([]);
  });

  it('replaces environment values in place and appends new ones', () => {
    expect(mergeEnv(['PATH=/a', 'HOSTNAME=h'], ['X=1', 'PATH=/b'])).toEqual([
      'PATH=/b',
      'HOSTNAME=h',
      'X=1',
    ]);
  });

  it('takes a bare -e KEY from the caller and drops it when unset', () => {
    expect(expandEnvFlags(['A=1', 'B', 'C'], { B: 'two' })).toEqual(['A=1', 'B=two']);
  });
});

describe('container names', () => {
  it('frees a name whose reserving CLI died before writing the record, and only that', () => {
    const root = mkdtempSync(join(tmpdir(), 'tsctr-names-'));
    const paths = { root, runroot: join(root, 'run') } as StatePaths;
    try {
      mkdirSync(join(root, 'names'));
      // Reserved by a process that is gone (no pid 999999999 runs here), no record: free.
      writeFileSync(join(root, 'names', 'cut'), 'a'.repeat(64) + ' 999999999 1');
      expect(reserveName(paths, 'b'.repeat(64), 'cut')).toBe('cut');
      expect(readFileSync(join(root, 'names', 'cut'), 'utf8')).toMatch(/^b{64} \d+ \d+$/);
      // Reserved by a live process (this one): taken, with docker's message.
      expect(() => reserveName(paths, 'c'.repeat(64), 'cut')).toThrow(
        `is already in use by container "${'b'.repeat(64)}"`,
      );
      // A name file of an older tsctr (the id alone) holds while its container has a record.
      writeFileSync(join(root, 'names', 'old'), 'd'.repeat(64));
      mkdirSync(join(root, 'containers', 'd'.repeat(64)), { recursive: true });
      writeFileSync(join(root, 'containers', 'd'.repeat(64), 'config.json'), '{}');
      expect(() => reserveName(paths, 'e'.repeat(64), 'old')).toThrow('already in use');
      // An empty one (a CLI of an older tsctr killed mid-write) names no one: free.
      writeFileSync(join(root, 'names', 'empty'), '');
      expect(reserveName(paths, 'f'.repeat(64), 'empty')).toBe('empty');
      // Every claim is whole, and the draft it was linked from is gone.
      expect(readdirSync(join(root, 'names')).sort()).toEqual(['cut', 'empty', 'old']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
