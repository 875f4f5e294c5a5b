import { describe, expect, it } from 'vitest';
import {
  chunkRanges,
  resolveLocation,
  uploadedBytes,
  withQuery,
} from '../../src/registry/upload.ts';
import { localTags, mountSources, pushTarget } from '../../src/images/push.ts';
import { pushPrinter } from '../../src/cli/push-progress.ts';
import { stripLineEnding } from '../../src/cli/login-prompt.ts';
import { parseReference } from '../../src/registry/reference.ts';
import type { ImageRecord } from '../../src/storage/store.ts';

describe('upload locations', () => {
  it('keeps absolute locations and resolves relative ones against the request', () => {
    const abs = 'http://127.0.0.1:5000/v2/a/blobs/uploads/u1?_state=x';
    expect(resolveLocation(abs, '/v2/a/blobs/uploads/')).toBe(abs);
    expect(resolveLocation('/v2/a/blobs/uploads/u1?_state=x', '/v2/a/blobs/uploads/')).toBe(
      '/v2/a/blobs/uploads/u1?_state=x',
    );
    // Relative without a leading slash: RFC 3986 resolution against the request path.
    expect(resolveLocation('u2', '/v2/a/blobs/uploads/')).toBe('/v2/a/blobs/uploads/u2');
    expect(resolveLocation('../uploads/u3', '/v2/a/blobs/uploads/u2')).toBe(
      '/v2/a/blobs/uploads/u3',
    );
    // After an absolute location, a relative one resolves against that host.
    expect(resolveLocation('/v2/a/blobs/uploads/u4', abs)).toBe(
      'http://127.0.0.1:5000/v2/a/blobs/uploads/u4',
    );
  });

  it('adds the digest to the query, keeping the registry state', () => {
    expect(withQuery('/v2/a/blobs/uploads/u1?_state=s%3D', 'digest', 'sha256:ab')).toBe(
      '/v2/a/blobs/uploads/u1?_state=s%3D&digest=sha256%3Aab',
    );
    expect(withQuery('https://r.example/up/u1', 'digest', 'sha256:ab')).toBe(
      'https://r.example/up/u1?digest=sha256%3Aab',
    );
  });
});

describe('chunks and ranges', () => {
  it('cuts a blob into inclusive ranges', () => {
    expect(chunkRanges(10, 4)).toEqual([
      [0, 3],
      [4, 7],
      [8, 9],
    ]);
    expect(chunkRanges(8, 4)).toEqual([
      [0, 3],
      [4, 7],
    ]);
    expect(chunkRanges(10, 4, 6)).toEqual([[6, 9]]);
    expect(chunkRanges(0, 4)).toEqual([]);
    expect(() => chunkRanges(1, 0)).toThrow();
  });

  it('reads how much the registry holds from its Range header', () => {
    expect(uploadedBytes('0-1023')).toBe(1024);
    expect(uploadedBytes('bytes=0-99')).toBe(100);
    // distribution's answer for an empty session.
    expect(uploadedBytes('0-0')).toBe(0);
    expect(uploadedBytes(undefined)).toBeUndefined();
    expect(uploadedBytes('5-9')).toBeUndefined();
    expect(uploadedBytes('junk')).toBeUndefined();
  });
});

function record(names: string[], digests: string[] = []): ImageRecord {
  return {
    id: `sha256:${'a'.repeat(64)}`,
    names,
    digests,
    manifestDigest: '',
    layers: [],
    config: {},
    size: 0,
    pulledAt: '',
  };
}

describe('what push sends', () => {
  it("refuses references docker's CLI refuses", () => {
    expect(() => pushTarget('r.example/a:v1', true)).toThrow(
      "tag can't be used with --all-tags/-a",
    );
    expect(() => pushTarget(`r.example/a@sha256:${'1'.repeat(64)}`, false)).toThrow(
      'cannot push a digest reference',
    );
    expect(pushTarget('busybox', false)).toMatchObject({
      domain: 'docker.io',
      path: 'library/busybox',
      tag: 'latest',
    });
    expect(pushTarget('r.example/a', true).tag).toBeUndefined();
  });

  it('finds the local tags of the name, or says what is missing', () => {
    const a = record(['r.example/app:v1', 'r.example/app:v2', 'r.example/other:v1']);
    const b = record(['r.example/app:beta']);
    const images = [a, b];
    expect(localTags(images, pushTarget('r.example/app:v2', false), false)).toEqual([['v2', a]]);
    expect(localTags(images, pushTarget('r.example/app', true), true)).toEqual([
      ['beta', b],
      ['v1', a],
      ['v2', a],
    ]);
    expect(() => localTags(images, pushTarget('r.example/none', false), false)).toThrow(
      'An image does not exist locally with the tag: r.example/none',
    );
    expect(() => localTags(images, pushTarget('r.example/app:v9', false), false)).toThrow(
      'tag does not exist: r.example/app:v9',
    );
    // Docker Hub names are shown in their familiar form.
    expect(() => localTags(images, pushTarget('busybox', false), false)).toThrow(
      'An image does not exist locally with the tag: busybox',
    );
  });

  it('mounts from the other repositories of the same registry the image is known in', () => {
    const rec = record(
      ['r.example/team/app:v1', 'other.example/x:v1'],
      [`r.example/src/app@sha256:${'b'.repeat(64)}`, `r.example/team/app@sha256:${'b'.repeat(64)}`],
    );
    const target = parseReference('r.example/team/app:v1');
    expect(mountSources(rec, target.domain, target.path)).toEqual(['src/app']);
    expect(mountSources(rec, 'other.example', 'y')).toEqual(['x']);
    expect(mountSources(rec, 'third.example', 'y')).toEqual([]);
  });
});

describe('push output', () => {
  it("prints docker's plain lines", () => {
    const lines: string[] = [];
    const print = pushPrinter((l) => lines.push(l), false);
    print({ kind: 'start', repository: 'r.example/app', defaultTag: true });
    print({ kind: 'layer', id: '0123456789ab', status: 'Preparing' });
    print({ kind: 'layer', id: '0123456789ab', status: 'Waiting' });
    print({ kind: 'layer', id: '0123456789ab', status: 'Mounted from src/app' });
    print({ kind: 'layer', id: 'ba9876543210', status: 'Layer already exists' });
    print({ kind: 'done', tag: 'latest', digest: 'sha256:ff', size: 527 });
    expect(lines).toEqual([
      'Using default tag: latest',
      'The push refers to repository [r.example/app]',
      '0123456789ab: Preparing',
      '0123456789ab: Mounted from src/app',
      'ba9876543210: Layer already exists',
      'latest: digest: sha256:ff size: 527',
    ]);
  });

  it('prints nothing with -q', () => {
    const lines: string[] = [];
    const print = pushPrinter((l) => lines.push(l), true);
    print({ kind: 'start', repository: 'r.example/app', defaultTag: true });
    print({ kind: 'done', tag: 'latest', digest: 'sha256:ff', size: 527 });
    expect(lines).toEqual([]);
  });
});

describe('--password-stdin', () => {
  it('drops exactly one line ending, as docker does', () => {
    expect(stripLineEnding('secret\n')).toBe('secret');
    expect(stripLineEnding('secret\r\n')).toBe('secret');
    expect(stripLineEnding('secret\r')).toBe('secret');
    expect(stripLineEnding('secret\n\n')).toBe('secret\n');
    expect(stripLineEnding(' secret ')).toBe(' secret ');
  });
});
