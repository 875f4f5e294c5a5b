// How a layer entry that cannot be stored is worded: owners the user namespace cannot give, paths
// out of the layer, and the writer's errno turned into the entry and the link that explain it.
import { describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import {
  checkOwner,
  entryWriteError,
  LayerEntryError,
  outsideLayer,
  type LayerLinks,
} from '../../src/storage/layer-refusal.ts';
import { LayerWriteError } from '../../src/storage/layer-writer.ts';
import { buildRanges, type IdMap } from '../../src/userns/idmap.ts';

const { errno } = constants;

/** uid 1000 with 65536 subordinate ids, as useradd gives them: container ids 0-65536. */
const ranged: IdMap = {
  uids: buildRanges(1000, [{ start: 100000, count: 65536 }]),
  gids: buildRanges(1000, [{ start: 100000, count: 65536 }]),
  single: false,
};
const single: IdMap = { uids: buildRanges(1000, []), gids: buildRanges(1000, []), single: true };

function thrown(fn: () => unknown): LayerEntryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LayerEntryError);
    return err as LayerEntryError;
  }
  throw new Error('did not throw');
}

describe('checkOwner', () => {
  it('takes every id the namespace maps, up to the top of the last range', () => {
    expect(() => checkOwner('f', 'f', 0, 0, ranged)).not.toThrow();
    expect(() => checkOwner('f', 'f', 65536, 65536, ranged)).not.toThrow();
    expect(() => checkOwner('f', 'f', 0, 0, single)).not.toThrow();
  });

  it("refuses an unmapped owner in podman's words, with the mapping in the hint", () => {
    const e = thrown(() => checkOwner('./usr/f', 'usr/f', 70000, 0, ranged));
    expect(e.message).toBe(
      'potentially insufficient UIDs or GIDs available in user namespace (requested 70000:0 for /usr/f): lchown /usr/f: invalid argument',
    );
    expect(e.hint).toBe(
      'the user namespace maps container uids 0-65536 and gids 0-65536 (your own id, then your ranges in /etc/subuid and /etc/subgid); give your user larger ranges there',
    );
    expect(thrown(() => checkOwner('f', 'f', 0, 65537, ranged)).message).toContain(
      '(requested 0:65537 for /f)',
    );
  });

  it('says when there are no subordinate ranges at all', () => {
    const e = thrown(() => checkOwner('f', 'f', 65534, 65534, single));
    expect(e.message).toContain('(requested 65534:65534 for /f)');
    expect(e.hint).toBe(
      'the user namespace has only uid 0 and gid 0, because /etc/subuid and /etc/subgid have no range for your user; add one (see subuid(5))',
    );
  });

  it('refuses what is no 32-bit id, chown\'s "unchanged" (-1) included', () => {
    for (const [uid, gid, shown] of [
      [4294967295, 0, '4294967295:0'],
      [2 ** 32, 0, '4294967296:0'],
      [-1, 0, '-1:0'],
      [0, 1.5, '0:1.5'],
      [0, NaN, '0:NaN'],
    ] as const) {
      const e = thrown(() => checkOwner('f', 'f', uid, gid, ranged));
      expect(e.message).toBe(`entry "f" has owner ${shown}, which is not a valid uid:gid`);
      expect(e.hint).toBe(
        'user and group ids run from 0 to 4294967294; the image is malformed or hostile',
      );
    }
  });
});

describe('outsideLayer', () => {
  it('names the entry, or the hard link and what it names', () => {
    expect(outsideLayer('../x').message).toBe('entry "../x" points outside the layer');
    expect(outsideLayer('h', '../../etc/passwd').message).toBe(
      'hard link "h" to "../../etc/passwd" points outside the layer',
    );
  });
});

describe('entryWriteError', () => {
  const links = (): LayerLinks => ({
    symlinks: new Map([
      ['a', '/etc'],
      ['a/b', 'elsewhere'],
    ]),
    hardlinks: new Map([['bin/sh2', '/bin/busybox']]),
  });
  const fail = (op: string, n: number, path: string) =>
    new LayerWriteError(op, n, path, `ERR ? ${n} ${path}`);

  it('names the hard link and its target', () => {
    const e = entryWriteError(fail('hardlink', errno.ENOENT, 'bin/sh2'), links());
    expect(e).toBeInstanceOf(LayerEntryError);
    expect(e.message).toBe(
      'cannot write "bin/sh2", a hard link to "/bin/busybox": no such file or directory',
    );
    expect(e.hint).toBe(
      'a hard link must name a file that the same layer wrote before it; docker (overlay2) and podman refuse this layer too',
    );
  });

  it('names the first symbolic link on the way', () => {
    const e = entryWriteError(fail('file', errno.ENOTDIR, 'a/b/c/x'), links());
    expect(e.message).toBe(
      'cannot write "a/b/c/x" through "a", a symbolic link to "/etc": not a directory',
    );
    expect(e.hint).toContain("a layer's symbolic links are followed inside that layer alone");
  });

  it('says what went wrong when no link explains it', () => {
    const e = entryWriteError(fail('dir', errno.EPERM, 'x/y'), links());
    expect(e.message).toBe('cannot write "x/y": operation not permitted');
    expect(e.hint).toBe('the image is malformed or hostile');
  });

  it("leaves the store's own trouble as the writer reported it", () => {
    const err = fail('file', errno.ENOSPC, 'a/x');
    expect(entryWriteError(err, links())).toBe(err);
    expect(err.message).toBe('writing layer failed: file a/x: ENOSPC');
    expect(err.hint).toMatch(/^the filesystem is full/);
  });
});
