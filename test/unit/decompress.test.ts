// Compression detected from the first bytes: each method round-trips, damage is an error even
// where the external program wrote output first, a failing program is reported with its own
// message and status, and a missing program says what to install.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DecompressError, decompressor } from '../../src/storage/decompress.ts';
import { TsctrError } from '../../src/errors.ts';

/** `data` fed in chunks of `step` bytes, decompressed and gathered. */
async function run(data: Buffer, step = 1000): Promise<Buffer> {
  async function* chunks() {
    for (let i = 0; i < data.length; i += step) yield data.subarray(i, i + step);
  }
  const out: Buffer[] = [];
  for await (const c of decompressor()(chunks())) out.push(c);
  return Buffer.concat(out);
}

// Compressible but not trivial: random words.
const plain = Buffer.from(
  Array.from({ length: 40_000 }, () => randomBytes(3).toString('hex')).join(' '),
);
const program = (name: string, args: string[], input: Buffer) =>
  execFileSync(name, args, { input, maxBuffer: 1 << 26 });

describe('decompressor', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('undoes gzip, zstd, xz and bzip2, and passes anything else through', async () => {
    expect(await run(gzipSync(plain))).toEqual(plain);
    expect(await run(zstdCompressSync(plain))).toEqual(plain);
    expect(await run(program('xz', ['-c'], plain))).toEqual(plain);
    expect(await run(program('bzip2', ['-c'], plain))).toEqual(plain);
    expect(await run(plain, 3)).toEqual(plain);
    expect(await run(Buffer.from('BZ'))).toEqual(Buffer.from('BZ'));
  });

  it('fails on damaged xz and bzip2 data, naming the program', async () => {
    for (const [name, data] of [
      ['xz', program('xz', ['-c'], plain)],
      ['bzip2', program('bzip2', ['-c'], plain)],
    ] as const) {
      const cut = data.subarray(0, Math.floor(data.length / 2));
      await expect(run(cut)).rejects.toThrow(new RegExp(`^${name}: `));
      const flipped = Buffer.from(data);
      flipped[Math.floor(data.length / 2)]! ^= 0xff;
      await expect(run(flipped)).rejects.toThrow(new RegExp(`^${name}: `));
    }
  });

  it('reports a failing program with its stderr and exit status, whether or not it read', async () => {
    const xz = program('xz', ['-c'], plain);
    const shims = mkdtempSync(join(tmpdir(), 'tsctr-xz-'));
    try {
      process.env.PATH = `${shims}:${path}`;
      for (const read of ['cat >/dev/null', ':']) {
        writeFileSync(
          join(shims, 'xz'),
          `#!/bin/sh\n${read}\necho "xz: broken on purpose" >&2\nexit 2\n`,
          { mode: 0o755 },
        );
        const err = await run(xz).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DecompressError);
        expect((err as Error).message).toBe(
          'xz: broken on purpose (`xz -dcq` exited with status 2)',
        );
      }
      writeFileSync(join(shims, 'xz'), '#!/bin/sh\nkill -KILL $$\n', { mode: 0o755 });
      const killed = await run(xz).catch((e: unknown) => e);
      expect(killed).toBeInstanceOf(TsctrError);
      expect((killed as Error).message).toBe(
        'reading xz-compressed data: `xz -dcq` was killed by SIGKILL',
      );
    } finally {
      rmSync(shims, { recursive: true, force: true });
    }
  });

  it('says which program to install when it is missing', async () => {
    const xz = program('xz', ['-c'], plain);
    process.env.PATH = '/nonexistent';
    const err = await run(xz).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TsctrError);
    expect((err as TsctrError).message).toBe('reading xz-compressed data needs the xz program');
    expect((err as TsctrError).hint).toBe('install it (Debian and Ubuntu: apt install xz-utils)');
  });
});
