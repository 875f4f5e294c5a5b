import { describe, expect, it } from 'vitest';
import { pathMatch } from '../../src/images/path-match.ts';
import {
  familiarMatch,
  filterBool,
  matchLabels,
  parseFilters,
  validateFilters,
} from '../../src/images/filters.ts';
import { parseGoDuration, parseTimestamp } from '../../src/images/timestamp.ts';
import { isSingleReference, referencesOf } from '../../src/images/remove.ts';
import { expandRows, selectImages } from '../../src/images/list.ts';
import { ellipsis, historyEntries, historyRows } from '../../src/images/history.ts';
import { containerConfig, inspectImage } from '../../src/images/inspect.ts';
import { isIdPrefix, lookupImage, noSuchImage } from '../../src/images/resolve.ts';
import type { ImageRecord } from '../../src/storage/store.ts';

const ID_A = `sha256:${'a'.repeat(60)}0001`;
const ID_B = `sha256:${'b'.repeat(60)}0002`;
const DIGEST = `sha256:${'d'.repeat(64)}`;

function record(over: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id: ID_A,
    names: ['docker.io/library/busybox:latest'],
    digests: [`docker.io/library/busybox@${DIGEST}`],
    manifestDigest: DIGEST,
    layers: ['sha256:l1', 'sha256:l2'],
    config: {
      architecture: 'amd64',
      os: 'linux',
      created: '2023-11-14T22:13:20Z',
      config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
      history: [
        { created: '2023-11-14T22:13:20Z', created_by: 'ADD rootfs /' },
        { created: '2023-11-14T22:13:20Z', created_by: 'RUN x' },
        { created: '2023-11-14T22:13:20Z', created_by: 'CMD ["sh"]', empty_layer: true },
      ],
    },
    size: 1234,
    pulledAt: '2024-01-01T00:00:00Z',
    ...over,
  };
}

describe("Go's path.Match (reference filters)", () => {
  it('matches stars, classes and escapes without crossing /', () => {
    expect(pathMatch('busy*', 'busybox')).toBe(true);
    expect(pathMatch('*', 'library/busybox')).toBe(false);
    expect(pathMatch('*/busybox', 'library/busybox')).toBe(true);
    expect(pathMatch('b?sybox:*', 'busybox:latest')).toBe(true);
    expect(pathMatch('[a-c]usybox', 'busybox')).toBe(true);
    expect(pathMatch('[^a-c]usybox', 'busybox')).toBe(false);
    expect(pathMatch('a\\*b', 'a*b')).toBe(true);
    expect(pathMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(pathMatch('a*b', 'a/b')).toBe(false);
  });

  it('reports a malformed pattern as Go does', () => {
    expect(() => pathMatch('[a-', 'x')).toThrow('syntax error in pattern');
    expect(() => pathMatch('a\\', 'a')).toThrow('syntax error in pattern');
    // Even after the match already failed.
    expect(() => pathMatch('x*[', 'yyy')).toThrow('syntax error in pattern');
  });

  it('FamiliarMatch tries the familiar reference, then the repository', () => {
    expect(familiarMatch('busybox', 'docker.io/library/busybox:latest')).toBe(true);
    expect(familiarMatch('busybox:*', 'docker.io/library/busybox:latest')).toBe(true);
    expect(familiarMatch('busybox:1', 'docker.io/library/busybox:latest')).toBe(false);
    expect(familiarMatch('quay.io/*/app', 'quay.io/team/app:1')).toBe(true);
  });
});

describe('filters', () => {
  it("parses name=value as docker's FilterOpt, with pflag's error", () => {
    const f = parseFilters(
      [' Dangling = true', 'label=a=b', 'label=a=b'],
      '-f, --filter',
      'images',
    );
    expect([...f]).toEqual([
      ['dangling', ['true']],
      ['label', ['a=b']],
    ]);
    expect(() => parseFilters(['x'], '-f, --filter', 'images')).toThrow(
      'invalid argument "x" for "-f, --filter" flag: bad format of filter (expected name=value)',
    );
  });

  it("validates keys and booleans with the daemon's words", () => {
    const f = parseFilters(['nope=1'], '--filter', 'image prune');
    expect(() => validateFilters(f, ['dangling'])).toThrow("invalid filter 'nope'");
    expect(filterBool(new Map([['dangling', ['1']]]), 'dangling', false)).toBe(true);
    expect(filterBool(new Map(), 'dangling', true)).toBe(true);
    expect(() => filterBool(new Map([['dangling', ['true', 'false']]]), 'dangling', true)).toThrow(
      "invalid filter 'dangling=[true false]'",
    );
  });

  it('matches labels by key or key=value, all of them', () => {
    const f = new Map([['label', ['a', 'b=2']]]);
    expect(matchLabels(f, 'label', { a: 'x', b: '2' })).toBe(true);
    expect(matchLabels(f, 'label', { a: 'x', b: '3' })).toBe(false);
    expect(matchLabels(f, 'label', undefined)).toBe(false);
    expect(matchLabels(new Map(), 'label', undefined)).toBe(true);
  });
});

describe('until timestamps', () => {
  const now = Date.UTC(2024, 0, 2, 12, 0, 0);
  it('reads Go durations, Unix times and RFC 3339', () => {
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('10x')).toBeUndefined();
    expect(parseTimestamp('1h', now)).toBe(now - 3_600_000);
    expect(parseTimestamp('1700000000', now)).toBe(1_700_000_000_000);
    expect(parseTimestamp('2024-01-02T10:00:00Z', now)).toBe(Date.UTC(2024, 0, 2, 10));
    expect(parseTimestamp('2024-01-02T10:00:00+01:00', now)).toBe(Date.UTC(2024, 0, 2, 9));
    expect(() => parseTimestamp('soon', now)).toThrow(
      'failed to parse value as time or duration: "soon"',
    );
  });
});

describe('rmi reference rules', () => {
  it("follows dockerd's isSingleReference", () => {
    const tag = 'docker.io/library/busybox:latest';
    const dig = `docker.io/library/busybox@${DIGEST}`;
    expect(isSingleReference([])).toBe(false);
    expect(isSingleReference([tag])).toBe(true);
    expect(isSingleReference([tag, dig])).toBe(true);
    expect(isSingleReference([tag, 'docker.io/library/busybox:1'])).toBe(false);
    expect(isSingleReference([tag, `docker.io/library/other@${DIGEST}`])).toBe(false);
  });

  it('lists references in the reference store order (lexical)', () => {
    expect(
      referencesOf(record({ names: ['docker.io/library/b:1', 'docker.io/library/a:1'] })),
    ).toEqual([
      'docker.io/library/a:1',
      'docker.io/library/b:1',
      `docker.io/library/busybox@${DIGEST}`,
    ]);
  });
});

describe('finding images', () => {
  const images = [
    record(),
    record({ id: ID_B, names: ['docker.io/library/other:1'], digests: [] }),
  ];
  it("tries references before ID prefixes, as dockerd's GetImage", () => {
    expect(lookupImage(images, 'busybox')?.id).toBe(ID_A);
    expect(lookupImage(images, `busybox@${DIGEST}`)?.id).toBe(ID_A);
    expect(lookupImage(images, 'bbbb')?.id).toBe(ID_B);
    expect(lookupImage(images, ID_B)?.id).toBe(ID_B);
    expect(lookupImage(images, ID_B.slice(7))?.id).toBe(ID_B);
    expect(lookupImage(images, 'nothere')).toBeUndefined();
    expect(isIdPrefix(ID_A, 'aaaa')).toBe(true);
    expect(isIdPrefix(ID_A, 'busybox')).toBe(false);
  });

  it('words not-found as docker: the familiar reference with its tag', () => {
    expect(noSuchImage('nothere').message).toBe('No such image: nothere:latest');
    expect(noSuchImage('quay.io/a/b:1').message).toBe('No such image: quay.io/a/b:1');
    expect(noSuchImage('c'.repeat(64)).message).toBe(`No such image: sha256:${'c'.repeat(64)}`);
  });
});

describe('images rows and filters', () => {
  it("expands references into rows as docker's formatter does", () => {
    const tags = ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1'];
    const digests = [`docker.io/library/busybox@${DIGEST}`, `quay.io/x/y@${DIGEST}`];
    expect(expandRows(tags, digests, { digests: false, needDigest: false })).toEqual([
      ['busybox', 'latest', '<none>'],
      ['busybox', '1', '<none>'],
      ['quay.io/x/y', '<none>', ''],
    ]);
    expect(expandRows(tags, digests, { digests: true, needDigest: true })).toEqual([
      ['busybox', 'latest', DIGEST],
      ['busybox', '1', DIGEST],
      ['quay.io/x/y', '<none>', DIGEST],
    ]);
    expect(expandRows([], [], { digests: true, needDigest: true })).toEqual([
      ['<none>', '<none>', '<none>'],
    ]);
  });

  it('selects by dangling, reference, label, before and since', () => {
    const older = record({ id: ID_B, names: [], digests: [] });
    older.config = { ...older.config, created: '2020-01-01T00:00:00Z' };
    const tagged = record({
      config: { ...record().config, config: { Labels: { k: 'v' } } },
    });
    const all = [older, tagged];
    const ids = (f: [string, string[]][]) => selectImages(all, new Map(f)).map((s) => s.img.id);
    expect(ids([['dangling', ['true']]])).toEqual([ID_B]);
    expect(ids([['dangling', ['false']]])).toEqual([ID_A]);
    expect(ids([['reference', ['busy*']]])).toEqual([ID_A]);
    expect(ids([['label', ['k=v']]])).toEqual([ID_A]);
    expect(ids([['before', ['busybox']]])).toEqual([ID_B]);
    expect(ids([['since', [ID_B]]])).toEqual([ID_A]);
    expect(() => ids([['dangling', ['maybe']]])).toThrow("invalid filter 'dangling=[maybe]'");
    expect(() => ids([['x', ['1']]])).toThrow("invalid filter 'x'");
    // Only the references that match the pattern are kept.
    expect(selectImages(all, new Map([['reference', ['*:latest']]]))[0]!.digests).toEqual([]);
  });
});

describe('history', () => {
  it('pairs non-empty entries with layers, newest first, the image ID on top', () => {
    const sizes: Record<string, number> = { 'sha256:l1': 100, 'sha256:l2': 2_500_000 };
    const entries = historyEntries(record(), (d) => sizes[d]!);
    expect(entries.map((e) => [e.id, e.createdBy, e.size])).toEqual([
      [ID_A, 'CMD ["sh"]', 0],
      ['<missing>', 'RUN x', 2_500_000],
      ['<missing>', 'ADD rootfs /', 100],
    ]);
    expect(() => historyEntries(record({ layers: ['sha256:l1'] }), () => 0)).toThrow(
      'too many non-empty layers in History section',
    );
  });

  it("formats rows as docker's history formatter", () => {
    const entries = [
      {
        id: ID_A,
        created: 1_700_000_000,
        createdBy: `/bin/sh -c\t${'x'.repeat(60)}`,
        comment: 'c',
        size: 2_500_000,
      },
      { id: '<missing>', created: 0, createdBy: 'ADD', comment: '', size: 0 },
    ];
    const rows = historyRows(entries, {
      noTrunc: false,
      human: true,
      duration: () => '3 days',
      size: (n) => `${n}B`,
      now: 1_700_300_000_000,
    });
    expect(rows[0]).toMatchObject({
      ID: ID_A.slice(7, 19),
      CreatedSince: '3 days ago',
      Size: '2500000B',
      Comment: 'c',
    });
    expect(rows[0]!.CreatedBy).toBe(`/bin/sh -c ${'x'.repeat(33)}…`);
    expect(rows[0]!.CreatedBy).toHaveLength(45);
    expect(rows[1]).toMatchObject({ ID: '<missing>', CreatedSince: '', Size: '0B' });
    const raw = historyRows(entries, {
      noTrunc: true,
      human: false,
      duration: () => '',
      size: () => '',
    });
    expect(raw[0]!.ID).toBe(ID_A);
    expect(raw[0]!.Size).toBe('2500000');
    expect(raw[0]!.CreatedSince).toBe(raw[0]!.CreatedAt);
    expect(raw[0]!.CreatedAt).toMatch(/^2023-11-1[45]T\d\d:\d\d:20(Z|[+-]\d\d:\d\d)$/);
  });

  it('cuts by display width, as formatter.Ellipsis', () => {
    expect(ellipsis('abc', 3)).toBe('abc');
    expect(ellipsis('abcd', 3)).toBe('ab…');
    expect(ellipsis('日本語です', 5)).toBe('日本…');
  });
});

describe('image inspect', () => {
  it("has docker's keys in docker's order", () => {
    const obj = inspectImage(record({ lastTagTime: '2024-01-01T00:00:00.000Z' }), (d) => `/l/${d}`);
    expect(Object.keys(obj)).toEqual([
      'Id',
      'RepoTags',
      'RepoDigests',
      'Parent',
      'Comment',
      'Created',
      'DockerVersion',
      'Author',
      'Config',
      'Architecture',
      'Os',
      'Size',
      'GraphDriver',
      'RootFS',
      'Metadata',
    ]);
    expect(obj).toMatchObject({
      RepoTags: ['busybox:latest'],
      RepoDigests: [`busybox@${DIGEST}`],
      GraphDriver: {
        Data: { LowerDir: '/l/sha256:l1', UpperDir: '/l/sha256:l2' },
        Name: 'overlay',
      },
      RootFS: { Type: 'layers', Layers: ['sha256:l1', 'sha256:l2'] },
      Metadata: { LastTagTime: '2024-01-01T00:00:00.000Z' },
    });
  });

  it('fills the container config as Go marshals it', () => {
    const c = containerConfig({
      Cmd: ['sh'],
      ExposedPorts: { '80/tcp': {} },
      StopSignal: 'SIGQUIT',
    });
    expect(c).toMatchObject({
      Hostname: '',
      AttachStdin: false,
      ExposedPorts: { '80/tcp': {} },
      Env: null,
      Cmd: ['sh'],
      Entrypoint: null,
      Labels: null,
      StopSignal: 'SIGQUIT',
    });
    expect(Object.keys(containerConfig(undefined))).not.toContain('ExposedPorts');
  });
});
