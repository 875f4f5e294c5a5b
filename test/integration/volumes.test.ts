import { existsSync, mkdirSync, chownSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, DEFAULT_PATH, pushImage } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { withBusybox } from './busybox.ts';
import { tsctr, type Sandbox } from './harness.ts';

// -v, --mount, --tmpfs, --volumes-from and `volume …`: where the files land and who owns them.
const box = withBusybox();
let sb: Sandbox;
let image: string;
let host: string;
beforeAll(() => {
  ({ sb, image } = box);
  host = join(sb.dir, 'shared');
  mkdirSync(host);
  chownSync(host, sb.user.uid, sb.user.gid);
});

const names = () => tsctr(sb, ['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean);

describe('bind mounts', () => {
  it("puts what the container's root writes on the host as the user's own files", () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '-v',
      `${host}:/data`,
      image,
      'sh',
      '-c',
      'echo hi > /data/f; id -u',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: '0\n' });
    expect(readFileSync(join(host, 'f'), 'utf8')).toBe('hi\n');
    expect(statSync(join(host, 'f')).uid).toBe(sb.user.uid);
  });

  it('mounts read-only with :ro and with --mount readonly', () => {
    for (const flag of [
      ['-v', `${host}:/data:ro`],
      ['--mount', `type=bind,source=${host},target=/data,readonly`],
    ]) {
      const r = tsctr(sb, [
        'run',
        '--rm',
        ...flag,
        image,
        'sh',
        '-c',
        'cat /data/f; touch /data/g',
      ]);
      expect(r.stdout).toBe('hi\n');
      expect(r.stderr).toContain('Read-only file system');
      expect(r.code).toBe(1);
    }
  });

  it('-v makes a missing host directory; --mount refuses one, as docker', () => {
    const made = join(sb.home, 'made', 'here');
    expect(tsctr(sb, ['run', '--rm', '-v', `${made}:/m`, image, 'true']).code).toBe(0);
    expect(statSync(made).isDirectory()).toBe(true);
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--mount',
      `type=bind,source=${sb.home}/nope,target=/m`,
      image,
      'true',
    ]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`bind source path does not exist: ${sb.home}/nope`);
  });

  it('refuses malformed specifications with 125', () => {
    for (const [flag, text] of [
      ['relative:/x:rw:extra', 'too many colons'],
      [`${host}:data`, 'mount path must be absolute'],
      [`${host}:/x:bogus`, 'invalid mode: bogus'],
      ['bad$name:/x', 'includes invalid characters for a local volume name'],
    ] as const) {
      const r = tsctr(sb, ['run', '--rm', '-v', flag, image, 'true']);
      expect(r.code, flag).toBe(125);
      expect(r.stderr, flag).toContain(text);
    }
  });
});

describe('named and anonymous volumes', () => {
  it('makes a named volume on first use, fills it from the image, and keeps it after rm', () => {
    const r = tsctr(sb, [
      'run',
      '--name',
      'v1',
      '-v',
      'etcvol:/etc',
      image,
      'sh',
      '-c',
      'cat /etc/group; echo added > /etc/added',
    ]);
    expect(r.stdout).toContain('user:x:1000:');
    tsctr(sb, ['rm', 'v1']);
    expect(names()).toContain('etcvol');
    const again = tsctr(sb, [
      'run',
      '--rm',
      '-v',
      'etcvol:/mnt',
      image,
      'cat',
      '/mnt/added',
      '/mnt/passwd',
    ]);
    expect(again.stdout).toMatch(/^added\nroot:x:0:0/);
    const mp = tsctr(sb, [
      'volume',
      'inspect',
      '-f',
      '{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}',
      'etcvol',
    ]).stdout;
    expect(mp).toBe(`etcvol local local ${sb.root}/volumes/etcvol/_data\n`);
    // Ownership inside the volume is the image's: container uid 1000 stays 1000.
    const owned = tsctr(sb, [
      'run',
      '--rm',
      '-v',
      'homevol:/home',
      image,
      'stat',
      '-c',
      '%u %n',
      '/home/user/owned',
    ]);
    expect(owned.stdout).toBe('1000 /home/user/owned\n');
  });

  it('volume-nocopy leaves a new volume empty', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--mount',
      'type=volume,source=emptyvol,target=/etc,volume-nocopy',
      image,
      '/bin/ls',
      '-A',
      '/etc',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });

  it('refuses to remove a volume a container uses, and removes it after', () => {
    tsctr(sb, ['create', '--name', 'holder', '-v', 'busyvol:/data', image, 'true']);
    const r = tsctr(sb, ['volume', 'rm', 'busyvol']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: remove busyvol: volume is in use - \[[0-9a-f]{64}\]/);
    tsctr(sb, ['rm', 'holder']);
    expect(tsctr(sb, ['volume', 'rm', 'busyvol'])).toMatchObject({ code: 0, stdout: 'busyvol\n' });
    expect(names()).not.toContain('busyvol');
    const missing = tsctr(sb, ['volume', 'rm', 'busyvol']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no such volume') });
    expect(tsctr(sb, ['volume', 'rm', '-f', 'busyvol']).code).toBe(0);
  });

  it('an anonymous volume goes with rm -v and with --rm, not with plain rm', () => {
    const before = new Set(names());
    tsctr(sb, ['run', '--name', 'anon1', '-v', '/data', image, 'sh', '-c', 'echo x > /data/x']);
    const made = names().filter((n) => !before.has(n));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^[0-9a-f]{64}$/);
    const m = tsctr(sb, [
      'inspect',
      '-f',
      '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}}',
      'anon1',
    ]);
    expect(m.stdout).toBe(`volume ${made[0]} /data true\n`);
    expect(tsctr(sb, ['rm', '-v', 'anon1']).code).toBe(0);
    expect(names()).not.toContain(made[0]);
    tsctr(sb, ['run', '--rm', '-v', '/data', image, 'true']);
    expect(names().filter((n) => !before.has(n))).toEqual([]);
    tsctr(sb, ['run', '--name', 'anon2', '-v', '/data', image, 'true']);
    tsctr(sb, ['rm', 'anon2']);
    const left = names().filter((n) => !before.has(n));
    expect(left).toHaveLength(1);
    // prune takes unused anonymous volumes; -a the named ones too.
    const p = tsctr(sb, ['volume', 'prune', '-f']);
    expect(p.stdout).toMatch(
      new RegExp(`^Deleted Volumes:\\n${left[0]}\\n\\nTotal reclaimed space: `),
    );
    expect(names()).toContain('etcvol');
  });

  it('--volumes-from mounts what another container mounts, ro when asked', () => {
    tsctr(sb, [
      'create',
      '--name',
      'src1',
      '-v',
      'sharedvol:/shared',
      '-v',
      `${host}:/hostdir`,
      image,
      'true',
    ]);
    tsctr(sb, [
      'run',
      '--rm',
      '-v',
      'sharedvol:/s',
      image,
      'sh',
      '-c',
      'echo from-first > /s/note',
    ]);
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--volumes-from',
      'src1:ro',
      image,
      'sh',
      '-c',
      'cat /shared/note /hostdir/f; touch /shared/y',
    ]);
    expect(r.stdout).toBe('from-first\nhi\n');
    expect(r.stderr).toContain('Read-only file system');
    tsctr(sb, ['rm', 'src1']);
  });

  it('lists, filters and inspects volumes as docker does', () => {
    expect(tsctr(sb, ['volume', 'create', '--label', 'team=a', 'labelled']).stdout).toBe(
      'labelled\n',
    );
    const ls = tsctr(sb, ['volume', 'ls']).stdout.split('\n');
    expect(ls[0]).toMatch(/^DRIVER\s+VOLUME NAME$/);
    expect(ls).toContainEqual(expect.stringMatching(/^local\s+labelled$/));
    expect(tsctr(sb, ['volume', 'ls', '-q', '-f', 'label=team=a']).stdout).toBe('labelled\n');
    expect(tsctr(sb, ['volume', 'ls', '-q', '-f', 'name=label']).stdout).toBe('labelled\n');
    expect(tsctr(sb, ['volume', 'ls', '-q', '-f', 'dangling=true']).stdout).toContain('labelled\n');
    const bad = tsctr(sb, ['volume', 'ls', '-f', 'colour=red']);
    expect(bad).toMatchObject({
      code: 125,
      stderr: expect.stringContaining("invalid filter 'colour'"),
    });
    const obj = JSON.parse(tsctr(sb, ['volume', 'inspect', 'labelled']).stdout) as object[];
    expect(obj[0]).toMatchObject({
      Name: 'labelled',
      Driver: 'local',
      Labels: { team: 'a' },
      Scope: 'local',
    });
    expect(tsctr(sb, ['volume', 'inspect', 'labelled', 'nosuch']).code).toBe(1);
  });
});

describe('tmpfs', () => {
  it('--tmpfs and --mount type=tmpfs mount a tmpfs with the size asked', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--tmpfs',
      '/scratch:size=1m',
      '--mount',
      'type=tmpfs,target=/t2,tmpfs-size=2m',
      image,
      'sh',
      '-c',
      'grep -E " /(scratch|t2) " /proc/mounts',
    ]);
    expect(r.stdout).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/m);
    expect(r.stdout).toMatch(/^tmpfs \/t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k/m);
  });
});

describe('targets behind symlinks', () => {
  let reg: TestRegistry;
  let evil: string;
  beforeAll(async () => {
    reg = await startRegistry();
    // An image whose /evil and /wd are absolute symlinks to host paths.
    const busybox = readFileSync('/bin/busybox');
    const built = buildImage({
      layers: [
        {
          entries: [
            { path: 'bin', type: 'dir', mode: 0o755, uid: 0, gid: 0 },
            { path: 'bin/busybox', type: 'file', mode: 0o755, uid: 0, gid: 0, content: busybox },
            { path: 'bin/sh', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'busybox' },
            {
              path: 'evil',
              type: 'symlink',
              mode: 0o777,
              uid: 0,
              gid: 0,
              linkname: join(sb.dir, 'escape'),
            },
            {
              path: 'wd',
              type: 'symlink',
              mode: 0o777,
              uid: 0,
              gid: 0,
              linkname: join(sb.dir, 'escape-wd'),
            },
          ],
        },
      ],
      config: { Env: [DEFAULT_PATH], Cmd: ['sh'] },
    });
    await pushImage(reg.host, 'links', 'latest', built);
    evil = `${reg.host}/links`;
    expect(tsctr(sb, ['pull', '-q', evil]).code).toBe(0);
  });
  afterAll(async () => reg?.stop());

  it('mounts a bind, a volume and a tmpfs inside the rootfs, and makes the working directory there', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '-v',
      `${host}:/evil/bind`,
      '-v',
      'linkvol:/evil/vol',
      '--tmpfs',
      '/evil/tmp',
      '-w',
      '/wd/inner',
      evil,
      '/bin/busybox',
      'sh',
      '-c',
      'pwd; /bin/busybox ls /evil/bind/f',
    ]);
    expect(r.stderr).toBe('');
    // The working directory is where the link leads, inside the rootfs (getcwd shows that path).
    expect(r).toMatchObject({
      code: 0,
      stdout: `${join(sb.dir, 'escape-wd')}/inner\n/evil/bind/f\n`,
    });
    expect(existsSync(join(sb.dir, 'escape'))).toBe(false);
    expect(existsSync(join(sb.dir, 'escape-wd'))).toBe(false);
  });
});
