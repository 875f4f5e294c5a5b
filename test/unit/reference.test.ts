import { describe, expect, it } from 'vitest';
import { TsctrError } from '../../src/errors.ts';
import {
  canonicalName,
  familiarName,
  isLoopbackRegistry,
  parseCanonical,
  parseReference,
  quickCanonical,
  registryApiHost,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from '../../src/registry/reference.ts';

const HEX = '86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
const DIGEST = `sha256:${HEX}`;
const FFS = `sha256:${'f'.repeat(64)}`;
const ID = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';

function parseError(input: string): TsctrError {
  try {
    parseReference(input);
  } catch (err) {
    expect(err).toBeInstanceOf(TsctrError);
    return err as TsctrError;
  }
  throw new Error(`parseReference(${JSON.stringify(input)}) did not throw`);
}

describe('parseReference', () => {
  // [input, domain, path, tag, digest, familiarName]
  const valid: [string, string, string, string | undefined, string | undefined, string][] = [
    ['busybox', 'docker.io', 'library/busybox', undefined, undefined, 'busybox'],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined, 'busybox:1.36'],
    ['user/app', 'docker.io', 'user/app', undefined, undefined, 'user/app'],
    ['user/app:1', 'docker.io', 'user/app', '1', undefined, 'user/app:1'],
    ['library/busybox', 'docker.io', 'library/busybox', undefined, undefined, 'busybox'],
    ['docker.io/busybox', 'docker.io', 'library/busybox', undefined, undefined, 'busybox'],
    ['index.docker.io/busybox', 'docker.io', 'library/busybox', undefined, undefined, 'busybox'],
    ['index.docker.io/user/app:2', 'docker.io', 'user/app', '2', undefined, 'user/app:2'],
    [
      'docker.io/library/busybox:latest',
      'docker.io',
      'library/busybox',
      'latest',
      undefined,
      'busybox:latest',
    ],
    [
      'docker.io/library/foo/bar',
      'docker.io',
      'library/foo/bar',
      undefined,
      undefined,
      'library/foo/bar',
    ],
    ['localhost/app', 'localhost', 'app', undefined, undefined, 'localhost/app'],
    ['localhost:5000/app:v1', 'localhost:5000', 'app', 'v1', undefined, 'localhost:5000/app:v1'],
    [
      '127.0.0.1:5000/busybox',
      '127.0.0.1:5000',
      'busybox',
      undefined,
      undefined,
      '127.0.0.1:5000/busybox',
    ],
    ['host:5000/a/b:tag', 'host:5000', 'a/b', 'tag', undefined, 'host:5000/a/b:tag'],
    ['quay.io/x/y@' + DIGEST, 'quay.io', 'x/y', undefined, DIGEST, 'quay.io/x/y@' + DIGEST],
    [
      'busybox:1.36@' + DIGEST,
      'docker.io',
      'library/busybox',
      '1.36',
      DIGEST,
      'busybox:1.36@' + DIGEST,
    ],
    ['[::1]:5000/x', '[::1]:5000', 'x', undefined, undefined, '[::1]:5000/x'],
    ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', undefined, undefined, '[2001:db8::1]/repo'],
    [
      '[2001:db8::1]:5000/repo:tag@' + FFS,
      '[2001:db8::1]:5000',
      'repo',
      'tag',
      FFS,
      '[2001:db8::1]:5000/repo:tag@' + FFS,
    ],
    [
      '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
      '[fc00:1:2:3:4:5:6:7]:5000',
      'library/debian',
      undefined,
      undefined,
      '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    ],
    // An upper-case first component can only be a host name.
    ['Foo/bar', 'Foo', 'bar', undefined, undefined, 'Foo/bar'],
    [
      'LOCALDOMAIN/fooo/bar',
      'LOCALDOMAIN',
      'fooo/bar',
      undefined,
      undefined,
      'LOCALDOMAIN/fooo/bar',
    ],
    ['LOCALHOST:5000/app', 'LOCALHOST:5000', 'app', undefined, undefined, 'LOCALHOST:5000/app'],
    // Without '.', ':' or 'localhost' the first component is a Docker Hub namespace.
    ['test_com/foo', 'docker.io', 'test_com/foo', undefined, undefined, 'test_com/foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo', undefined, undefined, 'test-com:8080/foo'],
    [
      'xn--n3h.com:18080/foo',
      'xn--n3h.com:18080',
      'foo',
      undefined,
      undefined,
      'xn--n3h.com:18080/foo',
    ],
    // A single component is always an official image, whatever it looks like.
    ['localhost', 'docker.io', 'library/localhost', undefined, undefined, 'localhost'],
    ['example.com', 'docker.io', 'library/example.com', undefined, undefined, 'example.com'],
    ['192.168.1.1', 'docker.io', 'library/192.168.1.1', undefined, undefined, '192.168.1.1'],
    ['192.168.1.1:5000', 'docker.io', 'library/192.168.1.1', '5000', undefined, '192.168.1.1:5000'],
    ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080', undefined, 'foo_bar.com:8080'],
    [
      'foo/foo_bar.com:8080',
      'docker.io',
      'foo/foo_bar.com',
      '8080',
      undefined,
      'foo/foo_bar.com:8080',
    ],
    [
      '192.168.1.1:5000/repo:5050',
      '192.168.1.1:5000',
      'repo',
      '5050',
      undefined,
      '192.168.1.1:5000/repo:5050',
    ],
    [
      'lowercase:Uppercase',
      'docker.io',
      'library/lowercase',
      'Uppercase',
      undefined,
      'lowercase:Uppercase',
    ],
    [
      'docker---rules/docker',
      'docker.io',
      'docker---rules/docker',
      undefined,
      undefined,
      'docker---rules/docker',
    ],
    ['dock__er/docker', 'docker.io', 'dock__er/docker', undefined, undefined, 'dock__er/docker'],
    ['d/docker', 'docker.io', 'd/docker', undefined, undefined, 'd/docker'],
    ['jess/t', 'docker.io', 'jess/t', undefined, undefined, 'jess/t'],
    [
      'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
      'docker.io',
      'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
      undefined,
      undefined,
      'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    ],
    [ID.slice(1), 'docker.io', `library/${ID.slice(1)}`, undefined, undefined, ID.slice(1)],
    [
      'b.gcr.io/test.example.com/my-app:test.example.com',
      'b.gcr.io',
      'test.example.com/my-app',
      'test.example.com',
      undefined,
      'b.gcr.io/test.example.com/my-app:test.example.com',
    ],
    [
      `xn--7o8h.com/myimage:xn--7o8h.com@${FFS}`,
      'xn--7o8h.com',
      'myimage',
      'xn--7o8h.com',
      FFS,
      `xn--7o8h.com/myimage:xn--7o8h.com@${FFS}`,
    ],
    [
      'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
      'sub-dom1.foo.com',
      'bar/baz/quux',
      'some-long-tag',
      undefined,
      'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    ],
    [
      'gcr.io/library/busybox',
      'gcr.io',
      'library/busybox',
      undefined,
      undefined,
      'gcr.io/library/busybox',
    ],
    [
      'busybox@sha384:' + 'a'.repeat(96),
      'docker.io',
      'library/busybox',
      undefined,
      'sha384:' + 'a'.repeat(96),
      'busybox@sha384:' + 'a'.repeat(96),
    ],
    [
      'busybox@sha512:' + 'a'.repeat(128),
      'docker.io',
      'library/busybox',
      undefined,
      'sha512:' + 'a'.repeat(128),
      'busybox@sha512:' + 'a'.repeat(128),
    ],
    // Limits: a 128-character tag, a 255-character path (the registry host does not count).
    [
      'busybox:' + 'T'.repeat(128),
      'docker.io',
      'library/busybox',
      'T'.repeat(128),
      undefined,
      'busybox:' + 'T'.repeat(128),
    ],
    [
      'example.com/' + 'a'.repeat(255) + ':tag',
      'example.com',
      'a'.repeat(255),
      'tag',
      undefined,
      'example.com/' + 'a'.repeat(255) + ':tag',
    ],
    [
      'a'.repeat(247),
      'docker.io',
      'library/' + 'a'.repeat(247),
      undefined,
      undefined,
      'a'.repeat(247),
    ],
    [
      'a/'.repeat(127) + 'a:tag-puts-this-over-max',
      'docker.io',
      'a/'.repeat(127) + 'a',
      'tag-puts-this-over-max',
      undefined,
      'a/'.repeat(127) + 'a:tag-puts-this-over-max',
    ],
  ];

  it.each(valid)('parses %s', (input, domain, path, tag, digest, familiar) => {
    const expected: ImageReference = { domain, path };
    if (tag !== undefined) expected.tag = tag;
    if (digest !== undefined) expected.digest = digest;
    const ref = parseReference(input);
    expect(ref).toStrictEqual(expected);
    expect(familiarName(ref)).toBe(familiar);
    // Both printed forms parse back to the same reference.
    expect(parseReference(familiarName(ref))).toStrictEqual(expected);
    expect(parseReference(canonicalName(ref))).toStrictEqual(expected);
  });

  it('takes 64 hex digits as a name once a registry makes that unambiguous', () => {
    const ref = parseReference(`docker.io/${ID}`);
    expect(ref).toStrictEqual({ domain: 'docker.io', path: `library/${ID}` });
    expect(canonicalName(ref)).toBe(`docker.io/library/${ID}`);
    // As in docker, the familiar form of such a name does not parse back.
    expect(familiarName(ref)).toBe(ID);
    expect(parseError(familiarName(ref)).message).toBe(
      `invalid repository name (${ID}), cannot specify 64-byte hexadecimal strings`,
    );
  });

  const GRAMMAR_HINT =
    "a name is '/'-separated components of lower-case letters and digits joined by '.', '_', " +
    "'__' or '-', optionally after a registry host[:port]; for example busybox:latest or " +
    'registry.example.com:5000/team/app:1.0';
  const DIGEST_HINT =
    'a digest is sha256: followed by 64 lower-case hex digits (sha384: 96, sha512: 128)';

  // [input, message, hint]
  const invalid: [string, string, string][] = [
    [
      '',
      'invalid reference format',
      'an image name is required, for example busybox:latest or registry.example.com:5000/team/app:1.0',
    ],
    [
      'busybox:',
      'invalid reference format',
      "the tag after ':' is empty; leave out the ':' to mean :latest",
    ],
    [
      'busybox:' + 'a'.repeat(129),
      'invalid reference format',
      'a tag is at most 128 characters, this one has 129',
    ],
    [
      'busybox:-tag',
      'invalid reference format',
      "a tag is letters, digits, '_', '.' and '-', and does not start with '.' or '-'",
    ],
    ['busybox@', 'invalid reference format', `the part after '@' must be a digest: ${DIGEST_HINT}`],
    [
      'busybox@sha256:abc',
      'invalid reference format',
      `the part after '@' must be a digest: ${DIGEST_HINT}`,
    ],
    [
      'busybox:1@latest',
      'invalid reference format',
      `the part after '@' must be a digest: ${DIGEST_HINT}`,
    ],
    [':justtag', 'invalid reference format', GRAMMAR_HINT],
    [`@${FFS}`, 'invalid reference format', GRAMMAR_HINT],
    ['https://github.com/docker/docker', 'invalid reference format', GRAMMAR_HINT],
    ['-docker', 'invalid reference format', GRAMMAR_HINT],
    ['-docker/docker', 'invalid reference format', GRAMMAR_HINT],
    ['-docker.io/docker/docker', 'invalid reference format', GRAMMAR_HINT],
    ['docker-/docker', 'invalid reference format', GRAMMAR_HINT],
    ['-docker-/docker', 'invalid reference format', GRAMMAR_HINT],
    ['docker///docker', 'invalid reference format', GRAMMAR_HINT],
    ['docker.io/docker///docker', 'invalid reference format', GRAMMAR_HINT],
    ['____/____', 'invalid reference format', GRAMMAR_HINT],
    ['_docker/_docker', 'invalid reference format', GRAMMAR_HINT],
    ['dock..er/docker', 'invalid reference format', GRAMMAR_HINT],
    ['dock_.er/docker', 'invalid reference format', GRAMMAR_HINT],
    ['dock-.er/docker', 'invalid reference format', GRAMMAR_HINT],
    ['docker/', 'invalid reference format', GRAMMAR_HINT],
    ['aa/asdf$$^/aa', 'invalid reference format', GRAMMAR_HINT],
    ['[fc00::1]', 'invalid reference format', GRAMMAR_HINT],
    ['[fc00::1]:5000', 'invalid reference format', GRAMMAR_HINT],
    ['[2001:db8::1]:tag', 'invalid reference format', GRAMMAR_HINT],
    ['fc00::1:5000/debian', 'invalid reference format', GRAMMAR_HINT],
    ['[fe80::1%eth0]:5000/debian', 'invalid reference format', GRAMMAR_HINT],
    ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'invalid reference format', GRAMMAR_HINT],
    [
      'foo_bar.com/app',
      'invalid reference format',
      '"foo_bar.com" looks like a registry host but is not a valid host name',
    ],
    [
      'Busybox',
      'invalid reference format: repository name (library/Busybox) must be lowercase',
      'image names are lower case (tags need not be), for example busybox:latest',
    ],
    [
      'Uppercase:tag',
      'invalid reference format: repository name (library/Uppercase) must be lowercase',
      'image names are lower case (tags need not be), for example busybox:latest',
    ],
    [
      'docker/Docker',
      'invalid reference format: repository name (docker/Docker) must be lowercase',
      'image names are lower case (tags need not be), for example busybox:latest',
    ],
    [
      'docker.io/docker/Docker',
      'invalid reference format: repository name (docker/Docker) must be lowercase',
      'image names are lower case (tags need not be), for example busybox:latest',
    ],
    [
      'test:5000/Uppercase/lowercase:tag',
      'invalid reference format: repository name (Uppercase/lowercase) must be lowercase',
      'image names are lower case (tags need not be), for example busybox:latest',
    ],
    [
      `Busybox@${DIGEST}`,
      'invalid reference format: repository name (library/Busybox@sha256) must be lowercase',
      'image names are lower case (tags need not be), for example busybox:latest',
    ],
    // The Kelvin sign lower-cases to an ASCII 'k': docker's second upper-case check catches it.
    [
      'busybox:\u212a',
      'repository name must be lowercase',
      'image names are lower case, for example busybox:latest',
    ],
    [
      ID,
      `invalid repository name (${ID}), cannot specify 64-byte hexadecimal strings`,
      'that is an image ID, not a name; to use it as a name give a namespace or registry',
    ],
    [
      'a'.repeat(248),
      'repository name must not be more than 255 characters',
      `the repository path "library/${'a'.repeat(32)}…" has 256 characters`,
    ],
    [
      'domain/' + 'a'.repeat(256) + ':tag',
      'repository name must not be more than 255 characters',
      `the repository path "domain/${'a'.repeat(33)}…" has 263 characters`,
    ],
    [
      'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4) + '/docker',
      'invalid reference format',
      GRAMMAR_HINT,
    ],
    [
      Array(4)
        .fill('this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255')
        .join('_') + '/docker',
      'repository name must not be more than 255 characters',
      'the repository path "this_is_not_a_valid_namespace_because_it…" has 278 characters',
    ],
    [
      'repo@sha256:' + 'f'.repeat(34),
      'invalid checksum digest length',
      'a sha256 digest has 64 hex digits, this one has 34',
    ],
    [
      'repo@sha512:' + 'f'.repeat(64),
      'invalid checksum digest length',
      'a sha512 digest has 128 hex digits, this one has 64',
    ],
    [
      'busybox@sha256:' + 'F'.repeat(64),
      'invalid checksum digest format',
      `${DIGEST_HINT}; upper case is not allowed`,
    ],
    // Before the first ':' docker looks for upper case, and finds the algorithm's.
    [
      'busybox@SHA256:' + 'f'.repeat(64),
      'invalid reference format: repository name (library/busybox@SHA256) must be lowercase',
      'image names are lower case (tags need not be), for example busybox:latest',
    ],
    ['busybox:1@SHA256:' + 'f'.repeat(64), 'invalid checksum digest format', DIGEST_HINT],
    [
      'validname@invaliddigest:' + 'f'.repeat(64),
      'unsupported digest algorithm',
      '"invaliddigest" is not one of sha256, sha384, sha512',
    ],
    [
      'busybox@md5:' + 'f'.repeat(32),
      'unsupported digest algorithm',
      '"md5" is not one of sha256, sha384, sha512',
    ],
  ];

  it.each(valid)('reads the stored (canonical) form of %s back without the grammar', (input) => {
    const stored = canonicalName(parseReference(input));
    expect(parseCanonical(stored)).toEqual(parseReference(stored));
  });

  it.each(valid)('normalises %s by its separators as the grammar does', (input) => {
    const ref = parseReference(input);
    const quick = quickCanonical(input);
    if (ref.digest) expect(quick).toBeUndefined();
    else expect(quick).toBe(canonicalName(withDefaultTag(ref)));
  });

  it.each(invalid)('never turns the malformed %j into a valid name', (input) => {
    const quick = quickCanonical(input);
    if (quick !== undefined) expect(() => parseReference(quick)).toThrow(TsctrError);
  });

  it('leaves a name that is not canonical to parseReference', () => {
    expect(parseCanonical('busybox:1')).toEqual(parseReference('busybox:1'));
    expect(parseCanonical('user/app@' + DIGEST)).toEqual(parseReference('user/app@' + DIGEST));
    expect(() => parseCanonical('Busybox')).toThrow(TsctrError);
  });

  it.each(invalid)('refuses %j', (input, message, hint) => {
    const err = parseError(input);
    expect(err.message).toBe(message);
    expect(err.hint).toBe(hint);
    expect(err.exitCode).toBe(125);
  });

  // RE2 guarantees docker linear time; these inputs would expose backtracking blow-ups.
  it.each([
    'a'.repeat(100_000) + '!',
    'a-'.repeat(50_000) + '!',
    'ab.'.repeat(30_000) + ':!',
    'a.b/'.repeat(30_000) + '!',
    'x.com/a@' + 'a-'.repeat(50_000),
    'x.com/a@a:' + 'f'.repeat(100_000) + 'g',
  ])('rejects hostile input of length %#', (input) => {
    const start = performance.now();
    expect(parseError(input).message).toBe('invalid reference format');
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('repository info (normalize_test.go TestParseRepositoryInfo)', () => {
  // [familiar, full, ambiguous spellings, domain, path]
  const cases: [string, string, string[], string, string][] = [
    ['localhost/fooo', 'localhost/fooo', [], 'localhost', 'fooo'],
    ['localhost/fooo/bar', 'localhost/fooo/bar', [], 'localhost', 'fooo/bar'],
    ['LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', [], 'LOCALDOMAIN', 'fooo'],
    ['fooo/bar', 'docker.io/fooo/bar', ['index.docker.io/fooo/bar'], 'docker.io', 'fooo/bar'],
    ['ubuntu', 'docker.io/library/ubuntu', ['library/ubuntu'], 'docker.io', 'library/ubuntu'],
    ['nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', [], 'docker.io', 'nonlibrary/ubuntu'],
    ['other/library', 'docker.io/other/library', [], 'docker.io', 'other/library'],
    [
      '127.0.0.1:8000/private/moonbase',
      '127.0.0.1:8000/private/moonbase',
      [],
      '127.0.0.1:8000',
      'private/moonbase',
    ],
    ['example.com/privatebase', 'example.com/privatebase', [], 'example.com', 'privatebase'],
    [
      'example.com:8000/private/moonbase',
      'example.com:8000/private/moonbase',
      [],
      'example.com:8000',
      'private/moonbase',
    ],
    [
      'ubuntu-12.04-base',
      'docker.io/library/ubuntu-12.04-base',
      ['index.docker.io/library/ubuntu-12.04-base'],
      'docker.io',
      'library/ubuntu-12.04-base',
    ],
    ['foo', 'docker.io/library/foo', ['docker.io/foo'], 'docker.io', 'library/foo'],
    ['library/foo/bar', 'docker.io/library/foo/bar', [], 'docker.io', 'library/foo/bar'],
    ['store/foo/bar', 'docker.io/store/foo/bar', [], 'docker.io', 'store/foo/bar'],
    ['Foo/bar', 'Foo/bar', [], 'Foo', 'bar'],
    ['FOO/bar', 'FOO/bar', [], 'FOO', 'bar'],
  ];

  for (const [familiar, full, ambiguous, domain, path] of cases) {
    it.each([familiar, full, ...ambiguous])(`%s is ${full}`, (input) => {
      const ref = parseReference(input);
      expect(ref).toStrictEqual({ domain, path });
      expect(repositoryName(ref)).toBe(familiar);
      expect(familiarName(ref)).toBe(familiar);
      expect(canonicalName(ref)).toBe(full);
    });
  }
});

describe('withDefaultTag', () => {
  // normalize_test.go TestParseDockerRef, except that a tag given with a digest is kept.
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    [`gcr.io/library/busybox:1@${DIGEST}`, `gcr.io/library/busybox:1@${DIGEST}`],
  ])('%s → %s', (input, canonical) => {
    expect(canonicalName(withDefaultTag(parseReference(input)))).toBe(canonical);
  });

  it('adds latest only when there is neither tag nor digest', () => {
    const bare = parseReference('busybox');
    expect(withDefaultTag(bare)).toStrictEqual({
      domain: 'docker.io',
      path: 'library/busybox',
      tag: 'latest',
    });
    expect(bare.tag).toBeUndefined();
    expect(withDefaultTag({ domain: 'quay.io', path: 'x/y', digest: DIGEST })).toStrictEqual({
      domain: 'quay.io',
      path: 'x/y',
      digest: DIGEST,
    });
    expect(withDefaultTag({ domain: 'quay.io', path: 'x/y', tag: '3' })).toStrictEqual({
      domain: 'quay.io',
      path: 'x/y',
      tag: '3',
    });
  });
});

describe('printed names', () => {
  it('prints a tag and a digest together (TestParseReferenceWithTagAndDigest)', () => {
    const ref = parseReference(`busybox:latest@${DIGEST}`);
    expect(canonicalName(ref)).toBe(`docker.io/library/busybox:latest@${DIGEST}`);
    expect(familiarName(ref)).toBe(`busybox:latest@${DIGEST}`);
    expect(repositoryName(ref)).toBe('busybox');
  });

  it.each([
    [{ domain: 'docker.io', path: 'library/busybox', tag: 'latest' }, 'busybox:latest', 'busybox'],
    [{ domain: 'docker.io', path: 'user/app', tag: '1' }, 'user/app:1', 'user/app'],
    [{ domain: 'docker.io', path: 'library/a/b' }, 'library/a/b', 'library/a/b'],
    [
      { domain: '127.0.0.1:5000', path: 'busybox', tag: 'latest' },
      '127.0.0.1:5000/busybox:latest',
      '127.0.0.1:5000/busybox',
    ],
    [
      { domain: 'quay.io', path: 'library/busybox', digest: DIGEST },
      `quay.io/library/busybox@${DIGEST}`,
      'quay.io/library/busybox',
    ],
  ])('%j is %s', (ref, familiar, repository) => {
    expect(familiarName(ref)).toBe(familiar);
    expect(repositoryName(ref)).toBe(repository);
  });
});

describe('isLoopbackRegistry', () => {
  it.each([
    'localhost',
    'localhost:5000',
    'LOCALHOST:5000',
    '127.0.0.1',
    '127.0.0.1:5000',
    '127.255.255.254:443',
    '[::1]',
    '[::1]:5000',
    '::1',
    '[0:0:0:0:0:0:0:1]:5000',
  ])('%s is loopback', (domain) => {
    expect(isLoopbackRegistry(domain)).toBe(true);
  });

  it.each([
    'docker.io',
    'quay.io:443',
    '128.0.0.1:5000',
    '10.0.0.1',
    '[::2]:5000',
    '[fe80::1]',
    'localhost.example.com',
    'mylocalhost:5000',
    '127.0.0.1.nip.io:5000',
    '',
  ])('%s is not loopback', (domain) => {
    expect(isLoopbackRegistry(domain)).toBe(false);
  });
});

describe('registryApiHost', () => {
  it.each([
    ['docker.io', 'registry-1.docker.io'],
    ['index.docker.io', 'registry-1.docker.io'],
    ['quay.io', 'quay.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['[::1]:5000', '[::1]:5000'],
    ['registry-1.docker.io', 'registry-1.docker.io'],
  ])('%s → %s', (domain, host) => {
    expect(registryApiHost(domain)).toBe(host);
  });

  it('turns a parsed Docker Hub reference into the Hub API host', () => {
    expect(registryApiHost(parseReference('index.docker.io/busybox').domain)).toBe(
      'registry-1.docker.io',
    );
  });
});
