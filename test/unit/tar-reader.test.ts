// The synchronous tar reader (node-tar underneath) against archives written by GNU tar in each of
// its formats: the same entries and data as node-tar's own streaming interface gives, however the
// stream is cut (from one byte up), and the refusals a layer needs (truncation, sparse files).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarFormatError, TarReader, type TarEntry } from '../../src/storage/tar-reader.ts';
import { LayerEntryError } from '../../src/storage/layer-refusal.ts';
import { createTar } from '../fixtures/tarball.ts';

interface Seen {
  kind: string;
  path: string;
  linkpath: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  sha: string;
}

const sha = (chunks: Buffer[]) => createHash('sha256').update(Buffer.concat(chunks)).digest('hex');

/** Everything the reader reports, pushing `archive` in pieces of `step` bytes. */
function readAll(archive: Buffer, step = archive.length, want = () => true): Seen[] {
  const out: Seen[] = [];
  let cur: { e: TarEntry; chunks: Buffer[] } | undefined;
  const close = () => {
    if (!cur) return;
    const { e, chunks } = cur;
    out.push({
      kind: e.kind,
      path: e.path,
      linkpath: e.linkpath,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      // Milliseconds, as node-tar's Date holds it.
      mtime: e.mtimeSec * 1000 + Math.floor(e.mtimeNsec / 1e6),
      size: e.size,
      sha: sha(chunks),
    });
    cur = undefined;
  };
  const r = new TarReader();
  const sink = {
    entry: (e: TarEntry) => {
      close();
      cur = { e, chunks: [] };
      return want();
    },
    data: (b: Buffer) => cur!.chunks.push(Buffer.from(b)),
  };
  for (let off = 0; off < archive.length; off += step)
    r.push(archive.subarray(off, off + step), sink);
  r.end();
  close();
  return out;
}

const KINDS: Record<string, string> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'dir',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
  FIFO: 'fifo',
  CharacterDevice: 'char',
  BlockDevice: 'block',
};

/** What node-tar reads from the same archive, in the same shape. */
async function oracle(archive: Buffer): Promise<Seen[]> {
  const out: Seen[] = [];
  const parser = new Parser({ strict: true });
  parser.on('entry', (e: ReadEntry) => {
    const chunks: Buffer[] = [];
    e.on('data', (c: Buffer) => chunks.push(c));
    e.on('end', () => {
      const kind = KINDS[e.type] ?? e.type;
      out.push({
        kind,
        path: e.path,
        linkpath: e.linkpath ?? '',
        mode: (e.mode ?? 0) & 0o7777,
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        mtime: e.mtime?.getTime() ?? 0,
        size: kind === 'file' ? (e.size ?? 0) : 0,
        sha: sha(chunks),
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(archive);
  });
  return out;
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsctr-tar-reader-'));
  const t = join(dir, 'tree');
  // ./d…/e…/f…/ fits ustar only split into prefix and name; g… fits no ustar field at all.
  const long = 'd'.repeat(70) + '/' + 'e'.repeat(70) + '/' + 'f'.repeat(60);
  mkdirSync(join(t, long), { recursive: true });
  writeFileSync(join(t, long, 'g'.repeat(120)), 'deep and long\n');
  writeFileSync(join(t, long, 'h'.repeat(20)), 'deep\n');
  writeFileSync(join(t, 'empty'), '');
  writeFileSync(join(t, 'block'), Buffer.alloc(512, 7));
  writeFileSync(join(t, 'big'), Buffer.alloc(300_000, 'x'));
  writeFileSync(join(t, 'ünïcødé ☃'), 'snow\n');
  symlinkSync('big', join(t, 'link'));
  symlinkSync('/' + 'target/'.repeat(30) + 'end', join(t, 'longlink'));
  linkSync(join(t, 'big'), join(t, 'hard'));
  execFileSync('mkfifo', [join(t, 'fifo')]);
  utimesSync(join(t, 'empty'), 1_600_000_000.25, 1_600_000_000.25);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gnuTar(format: string, extra: string[] = []): Buffer {
  return execFileSync(
    'tar',
    ['-C', join(dir, 'tree'), `--format=${format}`, '--sort=name', ...extra, '-cf', '-', '.'],
    { maxBuffer: 1 << 26 },
  );
}

describe('TarReader', () => {
  for (const format of ['gnu', 'oldgnu', 'posix', 'ustar']) {
    it(`reads GNU tar's ${format} format as node-tar does, however the stream is cut`, async () => {
      // ustar cannot hold the 120-byte file name or the long link target: leave those out.
      const extra = format === 'ustar' ? ['--exclude=g*', '--exclude=longlink'] : [];
      const archive = gnuTar(format, extra);
      const expected = await oracle(archive);
      expect(expected.length).toBeGreaterThan(8);
      for (const step of [archive.length, 65536, 1000, 512, 511, 7, 1]) {
        if (step === 1 && archive.length > 400_000) continue;
        expect(readAll(archive, step)).toEqual(expected);
      }
    });
  }

  it('reads large ids and negative times written in base-256', async () => {
    const archive = gnuTar('gnu', [
      '--owner=3000000000',
      '--group=2500000',
      '--mtime=@-1000000000',
      '--exclude=g*',
    ]);
    const got = readAll(archive);
    expect(got.every((e) => e.uid === 3_000_000_000 && e.gid === 2_500_000)).toBe(true);
    expect(got.every((e) => e.mtime === -1_000_000_000_000)).toBe(true);
    expect(got).toEqual(await oracle(archive));
  });

  it('applies pax mtime fractions, including before the epoch', () => {
    const pax = gnuTar('posix', ['--mtime=@-1.25', '--exclude=g*', '--exclude=longlink']);
    for (const e of readAll(pax)) expect(e.mtime).toBe(-1250);
    const frac = readAll(gnuTar('posix', ['--exclude=g*'])).find((e) => e.path === './empty');
    expect(frac?.mtime).toBe(1_600_000_000_250);
  });

  it('skips the data of entries the sink does not want', () => {
    const got = readAll(gnuTar('gnu'), 4096, () => false);
    expect(got.find((e) => e.path === './big')).toMatchObject({ size: 300_000, sha: sha([]) });
  });

  it('accepts one zero block at the end, or none, and ignores what follows the end', () => {
    const body = createTar([
      { path: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, content: 'x' },
    ]);
    const entries = body.subarray(0, body.length - 1024);
    expect(readAll(entries)).toHaveLength(1);
    expect(readAll(Buffer.concat([entries, Buffer.alloc(512)]))).toHaveLength(1);
    expect(readAll(Buffer.concat([body, Buffer.from('trailing junk')]))).toHaveLength(1);
  });

  it('refuses truncation and a bad checksum', () => {
    const body = createTar([
      { path: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, content: 'x'.repeat(1000) },
    ]);
    expect(() => readAll(body.subarray(0, 700))).toThrow(/Truncated input|middle of an entry/);
    expect(() => readAll(body.subarray(0, 300))).toThrow(/Unrecognized archive format/);
    const bad = Buffer.from(body);
    bad[0] = 0x62; // 'b': the checksum no longer matches
    expect(() => readAll(bad)).toThrow(/checksum/);
    expect(() => readAll(bad)).toThrow(TarFormatError);
  });

  it('names the entry whose header fails its checksum', () => {
    const body = createTar([
      { path: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, content: 'x' },
    ]);
    const bad = Buffer.from(body);
    bad[0] = 0x62;
    expect(() => readAll(bad)).toThrow('TAR_ENTRY_INVALID: checksum failure (entry "b")');
  });

  it('reads GNU long names and link names, and base-256 ids', () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const body = createTar([
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
        path: `${long}-link`,
        type: 'symlink',
        mode: 0o777,
        uid: 0,
        gid: 0,
        linkname: `/${long}`,
        longNames: 'gnu',
      },
      {
        path: 'hard',
        type: 'hardlink',
        mode: 0o644,
        uid: 0,
        gid: 0,
        linkname: long,
        longNames: 'gnu',
      },
    ]);
    for (const step of [1, 512, body.length]) {
      expect(readAll(body, step).map((e) => [e.kind, e.path, e.linkpath, e.uid, e.gid])).toEqual([
        ['file', long, '', 1000, 1001],
        ['symlink', `${long}-link`, `/${long}`, 0, 0],
        ['hardlink', 'hard', long, 0, 0],
      ]);
    }
  });

  it('refuses a base-256 id beyond 2^53, in the terms of the archive', () => {
    const body = createTar([
      { path: 'a', type: 'file', mode: 0o644, uid: 2 ** 54, gid: 0, content: 'x', ids: 'base256' },
    ]);
    expect(() => readAll(body)).toThrow(TarFormatError);
    expect(() => readAll(body)).toThrow('a numeric header field holds a value beyond 2^53');
  });

  it('refuses sparse files with a message that says so', () => {
    writeFileSync(join(dir, 'sparse'), '');
    execFileSync('truncate', ['-s', '10M', join(dir, 'sparse')]);
    for (const format of ['gnu', 'posix']) {
      const archive = execFileSync('tar', [
        '-C',
        dir,
        `--format=${format}`,
        '--sparse',
        '-cf',
        '-',
        'sparse',
      ]);
      // The image's content, not its transfer, is at fault: pull words it as a refusal.
      expect(() => readAll(archive)).toThrow(LayerEntryError);
      expect(() => readAll(archive)).toThrow(/sparse files are not supported/);
    }
  });

  it('applies global pax records to every later entry', () => {
    const global = paxBlock('g', { uid: '4242', mtime: '5' });
    const body = createTar([
      { path: 'a', type: 'file', mode: 0o644, uid: 1, gid: 1, content: 'x' },
      { path: 'b', type: 'dir', mode: 0o755, uid: 1, gid: 1 },
    ]);
    const got = readAll(Buffer.concat([global, body]));
    expect(got.map((e) => [e.path, e.uid, e.gid, e.mtime])).toEqual([
      ['a', 4242, 1, 5000],
      ['b/', 4242, 1, 5000],
    ]);
  });
});

/** A pax header block ('x' or 'g') with its records, ready to precede entries. */
function paxBlock(type: string, records: Record<string, string>): Buffer {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = rest.length + 1;
    while (String(len).length + rest.length !== len) len++;
    body += `${len}${rest}`;
  }
  const h = Buffer.alloc(512);
  h.write('pax', 0, 'latin1');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  fixChecksum(h);
  const data = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  data.write(body, 0, 'utf8');
  return Buffer.concat([h, data]);
}

function fixChecksum(h: Buffer): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}
