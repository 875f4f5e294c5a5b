import { execFileSync } from 'node:child_process';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { describe, expect, it } from 'vitest';
import { createTar, DEFAULT_MTIME, gzip, zstd, type TarEntry } from '../fixtures/tarball.ts';

interface Parsed {
  path: string;
  type: string;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  linkpath: string | undefined;
  mtime: number | undefined;
  content: string;
}

// node-tar is an independent reader: if it agrees with what we meant to write, so will
// an engine's extractor.
async function parse(archive: Buffer): Promise<Parsed[]> {
  const out: Parsed[] = [];
  const parser = new Parser();
  parser.on('entry', (entry: ReadEntry) => {
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () =>
      out.push({
        path: entry.path,
        type: entry.type,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        linkpath: entry.linkpath,
        mtime: entry.mtime ? entry.mtime.getTime() / 1000 : undefined,
        content: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(archive);
  });
  return out;
}

const longDir = `${'a'.repeat(70)}/${'b'.repeat(70)}`;
const entries: TarEntry[] = [
  { path: 'dir', type: 'dir', mode: 0o1777, uid: 0, gid: 0 },
  { path: 'dir/file', type: 'file', mode: 0o4755, uid: 1000, gid: 1001, content: 'hello\n' },
  { path: 'dir/hard', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, linkname: 'dir/file' },
  { path: 'dir/sym', type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/etc/passwd' },
  { path: 'dir/fifo', type: 'fifo', mode: 0o600, uid: 0, gid: 0, mtime: 12345 },
  { path: `${longDir}/long.txt`, type: 'file', mode: 0o644, uid: 0, gid: 0, content: 'x' },
  {
    path: 'dir/longlink',
    type: 'symlink',
    mode: 0o777,
    uid: 0,
    gid: 0,
    linkname: `/${longDir}/target`,
  },
  { path: 'bigid', type: 'file', mode: 0o600, uid: 3_000_000, gid: 4_000_000, content: '' },
  {
    path: 'xattr',
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    content: 'a'.repeat(600),
    xattrs: { 'user.test': 'value' },
  },
];

describe('tar writer', () => {
  const archive = createTar(entries);

  it('pads to whole blocks and ends with two zero blocks', () => {
    expect(archive.length % 512).toBe(0);
    expect(archive.subarray(-1024).every((b) => b === 0)).toBe(true);
  });

  it('is read back exactly by node-tar, PAX fields included', async () => {
    const parsed = await parse(archive);
    expect(parsed.map((p) => [p.path, p.type])).toEqual([
      ['dir/', 'Directory'],
      ['dir/file', 'File'],
      ['dir/hard', 'Link'],
      ['dir/sym', 'SymbolicLink'],
      ['dir/fifo', 'FIFO'],
      [`${longDir}/long.txt`, 'File'],
      ['dir/longlink', 'SymbolicLink'],
      ['bigid', 'File'],
      ['xattr', 'File'],
    ]);
    const byPath = new Map(parsed.map((p) => [p.path, p]));
    expect(byPath.get('dir/')?.mode).toBe(0o1777);
    expect(byPath.get('dir/file')).toMatchObject({
      mode: 0o4755,
      uid: 1000,
      gid: 1001,
      content: 'hello\n',
      mtime: DEFAULT_MTIME,
    });
    expect(byPath.get('dir/hard')?.linkpath).toBe('dir/file');
    expect(byPath.get('dir/sym')?.linkpath).toBe('/etc/passwd');
    expect(byPath.get('dir/fifo')?.mtime).toBe(12345);
    expect(byPath.get(`${longDir}/long.txt`)?.content).toBe('x');
    expect(byPath.get('dir/longlink')?.linkpath).toBe(`/${longDir}/target`);
    expect(byPath.get('bigid')).toMatchObject({ uid: 3_000_000, gid: 4_000_000 });
    expect(byPath.get('xattr')?.content).toBe('a'.repeat(600));
  });

  it('writes xattrs as self-measuring PAX records', () => {
    // node-tar drops unknown PAX keys, so check the record itself: its length prefix
    // counts the whole line, prefix digits included.
    expect(archive.includes('32 SCHILY.xattr.user.test=value\n')).toBe(true);
  });

  it('is accepted by GNU tar', () => {
    const listing = execFileSync('tar', ['-tv', '--numeric-owner', '-f', '-'], {
      input: archive,
      encoding: 'utf8',
    });
    expect(listing).toContain('-rwsr-xr-x 1000/1001');
    expect(listing).toContain('drwxrwxrwt 0/0');
    expect(listing).toContain('3000000/4000000');
    expect(listing).toContain(`${longDir}/long.txt`);
    expect(listing).toContain('dir/hard link to dir/file');
  });

  it("writes GNU tar's long name records and base-256 ids when asked, as GNU tar reads them", () => {
    const long = `${'g'.repeat(120)}/${'n'.repeat(120)}`;
    const gnu = createTar([
      {
        path: long,
        type: 'file',
        mode: 0o644,
        uid: 1000,
        gid: 1001,
        content: 'x',
        longNames: 'gnu',
        ids: 'base256',
      },
      {
        path: 'sym',
        type: 'symlink',
        mode: 0o777,
        uid: 0,
        gid: 0,
        linkname: `/${long}`,
        longNames: 'gnu',
      },
    ]);
    // 'L' and 'K' records named ././@LongLink, no PAX header; the id field starts with 0x80.
    expect(gnu.subarray(0, 13).toString('latin1')).toBe('././@LongLink');
    expect(gnu.subarray(156, 157).toString('latin1')).toBe('L');
    expect(gnu.includes('PaxHeaders')).toBe(false);
    const listing = execFileSync('tar', ['-tv', '--numeric-owner', '-f', '-'], {
      input: gnu,
      encoding: 'utf8',
    });
    expect(listing).toContain(`1000/1001`);
    expect(listing).toContain(long);
    expect(listing).toContain(`sym -> /${long}`);
  });

  it('adds the PAX records it is given, after its own', async () => {
    const parsed = await parse(
      createTar([
        { path: 'p', type: 'file', mode: 0o644, uid: 1, gid: 2, content: '', pax: { uid: '4242' } },
      ]),
    );
    expect(parsed[0]).toMatchObject({ path: 'p', uid: 4242, gid: 2 });
  });

  it('refuses content on non-files and links without targets', () => {
    expect(() =>
      createTar([{ path: 'd', type: 'dir', mode: 0o755, uid: 0, gid: 0, content: 'x' }]),
    ).toThrow(/only regular files/);
    expect(() => createTar([{ path: 's', type: 'symlink', mode: 0o777, uid: 0, gid: 0 }])).toThrow(
      /needs a linkname/,
    );
  });

  it('compresses with gzip and zstd round-trip', () => {
    expect(gunzipSync(gzip(archive)).equals(archive)).toBe(true);
    const z = zstd(archive);
    expect(z.subarray(0, 4).toString('hex')).toBe('28b52ffd');
    expect(zstdDecompressSync(z).equals(archive)).toBe(true);
  });
});
