/**
 * Image references as docker understands them: the grammar and normalisation of
 * github.com/distribution/reference (ParseNormalizedNamed, FamiliarString, TagNameOnly)
 * with digests validated as github.com/opencontainers/go-digest v1.0.0 does, which is
 * what the docker CLI vendors. Error messages are docker's, word for word, so scripts that
 * match on them keep working; the hint adds what docker leaves unsaid.
 */
import { TsctrError } from '../errors.ts';

export interface ImageReference {
  /** Registry host with optional port: 'docker.io', 'quay.io', '127.0.0.1:5000', '[::1]:5000'. */
  domain: string;
  /** Repository path inside the registry: 'library/busybox', 'user/app'. */
  path: string;
  /** Undefined when the input named none; withDefaultTag supplies 'latest'. */
  tag?: string;
  /** 'sha256:<64 hex>' (or sha384/sha512, as docker accepts); kept alongside a tag when both are given. */
  digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const REPOSITORY_NAME_MAX = 255;

// The grammar of distribution/reference regexp.go. Every alternative is anchored and free of
// nested ambiguity, so backtracking stays linear even on hostile input.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = String.raw`${domainComponent}(?:\.${domainComponent})*`;
const ipv6Address = String.raw`\[(?:[a-fA-F0-9:]+)\]`;
const domainAndPort = `(?:${domainName}|${ipv6Address})(?::[0-9]+)?`;
const tagPattern = String.raw`[\w][\w.-]{0,127}`;
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}';

const referenceRegexp = new RegExp(
  `^((?:${domainAndPort}/)?${remoteName})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const nameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const tagRegexp = new RegExp(`^${tagPattern}$`);
const digestRegexp = new RegExp(`^${digestPattern}$`);
const identifierRegexp = /^[a-f0-9]{64}$/;

// go-digest v1.0.0: the algorithms it knows and the hex length of each; anything else that
// is still well formed is "unsupported" rather than "invalid".
const DIGEST_HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);
const wellFormedDigestRegexp = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const EXAMPLE = 'for example busybox:latest or registry.example.com:5000/team/app:1.0';
const DIGEST_HINT =
  'a digest is sha256: followed by 64 lower-case hex digits (sha384: 96, sha512: 128)';

/**
 * Parses what a user typed (`busybox`, `user/app:1`, `host:5000/a/b@sha256:…`) into its
 * normalised parts, as docker's ParseNormalizedNamed does: Docker Hub names gain 'docker.io'
 * and, when they have a single component, 'library/'. A tag and a digest given together are
 * both kept.
 */
export function parseReference(input: string): ImageReference {
  if (identifierRegexp.test(input)) {
    throw new TsctrError(
      `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
      { hint: 'that is an image ID, not a name; to use it as a name give a namespace or registry' },
    );
  }
  const [splitDomain, remainder] = splitDockerDomain(input);
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw new TsctrError(
      `invalid reference format: repository name (${remote}) must be lowercase`,
      { hint: 'image names are lower case (tags need not be), for example busybox:latest' },
    );
  }

  const full = `${splitDomain}/${remainder}`;
  const match = referenceRegexp.exec(full);
  if (match === null) {
    const lower = full.toLowerCase();
    // Characters that only match once lower-cased (such as the Kelvin sign) count as upper case.
    if (lower !== full && referenceRegexp.test(lower)) {
      throw new TsctrError('repository name must be lowercase', {
        hint: 'image names are lower case, for example busybox:latest',
      });
    }
    throw new TsctrError('invalid reference format', { hint: formatHint(input) });
  }

  const nameMatch = nameRegexp.exec(match[1] ?? '');
  const domain = nameMatch?.[1];
  const path = nameMatch?.[2] ?? '';
  if (domain === undefined) {
    // docker accepts 'foo_bar.com/app' as a name without any registry and only fails once it
    // tries to contact one; refusing it here gives the reason up front.
    throw new TsctrError('invalid reference format', {
      hint: `"${splitDomain}" looks like a registry host but is not a valid host name`,
    });
  }
  if (path.length > REPOSITORY_NAME_MAX) {
    throw new TsctrError(
      `repository name must not be more than ${REPOSITORY_NAME_MAX} characters`,
      { hint: `the repository path "${path.slice(0, 40)}…" has ${path.length} characters` },
    );
  }

  const ref: ImageReference = { domain, path };
  if (match[2] !== undefined) ref.tag = match[2];
  if (match[3] !== undefined) ref.digest = validateDigest(match[3]);
  return ref;
}

/** Docker's TagNameOnly: a reference with neither tag nor digest means ':latest'. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/** The fully qualified form: 'docker.io/library/busybox:latest', '…@sha256:…' with a digest. */
export function canonicalName(ref: ImageReference): string {
  return withSuffix(`${ref.domain}/${ref.path}`, ref);
}

/**
 * The canonical name that a `name[:tag]` normalises to, split by its separators as
 * parseReference splits it but without the grammar's regular expressions (~0.5 ms to compile):
 * lookups try it against the names in the store, which are all valid, so a match is the answer
 * and anything else goes through parseReference. Undefined for a digest and for a bare image
 * ID, which parseReference refuses as a name.
 */
export function quickCanonical(input: string): string | undefined {
  if (input.includes('@') || identifierRegexp.test(input)) return undefined;
  const [domain, remainder] = splitDockerDomain(input);
  return `${domain}/${remainder}${remainder.includes(':') ? '' : `:${DEFAULT_TAG}`}`;
}

/**
 * A name as the store keeps it (canonicalName's output, checked when it was stored) taken apart
 * by its separators: compiling the reference grammar's regular expressions is ~0.5 ms of every
 * `tsctr images`. Anything not in canonical form goes through parseReference.
 */
export function parseCanonical(name: string): ImageReference {
  const at = name.indexOf('@');
  let rest = at === -1 ? name : name.slice(0, at);
  const slash = rest.indexOf('/');
  const domain = rest.slice(0, slash);
  if (slash === -1 || !(domain.includes('.') || domain.includes(':') || domain === 'localhost')) {
    return parseReference(name);
  }
  const ref: ImageReference = { domain, path: '' };
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    ref.tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  ref.path = rest.slice(slash + 1);
  if (at !== -1) ref.digest = name.slice(at + 1);
  return ref;
}

/** The form docker prints in `docker images` and `docker ps` (FamiliarString): 'busybox:latest'. */
export function familiarName(ref: ImageReference): string {
  return withSuffix(repositoryName(ref), ref);
}

/** The familiar repository without tag or digest (FamiliarName): 'busybox', 'quay.io/x/y'. */
export function repositoryName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  // Only a single component after 'library/' is shortened: 'library/a/b' stays as it is.
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

// node:net is loaded on first use: at the top it costs every `tsctr images` ~2.5 ms (it loads
// the streams stack), and only registry names that are IP addresses need it.
const net = () => process.getBuiltinModule('node:net');
let loopbackList: import('node:net').BlockList | undefined;
function loopback(): import('node:net').BlockList {
  if (loopbackList) return loopbackList;
  loopbackList = new (net().BlockList)();
  loopbackList.addSubnet('127.0.0.0', 8, 'ipv4');
  loopbackList.addAddress('::1', 'ipv6');
  return loopbackList;
}

/**
 * Whether a registry domain (with or without ':port') is this machine: 'localhost',
 * 127.0.0.0/8 or [::1]. dockerd treats exactly these as insecure by default, so plain HTTP
 * is allowed to them.
 */
export function isLoopbackRegistry(domain: string): boolean {
  const host = stripPort(domain).toLowerCase();
  if (host === 'localhost') return true;
  if (!/^[\d.]+$|:/.test(host) || net().isIP(host) === 0) return false;
  return loopback().check(host, net().isIPv6(host) ? 'ipv6' : 'ipv4');
}

/** Where the registry API really lives: Docker Hub's names are not its API host. */
export function registryApiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN
    ? 'registry-1.docker.io'
    : domain;
}

/**
 * distribution/reference's splitDockerDomain: the first '/'-separated component is a registry
 * only if it is 'localhost', contains '.' or ':', or has upper case (which a repository name
 * never has). A bare name is an official image, even 'localhost' or 'example.com' alone.
 */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];

  const first = name.slice(0, slash);
  let domain = first;
  let remainder = name.slice(slash + 1);
  if (first === LEGACY_DEFAULT_DOMAIN) {
    domain = DEFAULT_DOMAIN;
  } else if (
    first !== 'localhost' &&
    !first.includes('.') &&
    !first.includes(':') &&
    first.toLowerCase() === first
  ) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) {
    remainder = OFFICIAL_REPO_PREFIX + remainder;
  }
  return [domain, remainder];
}

/** go-digest v1.0.0 Digest.Validate, with its messages. */
function validateDigest(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH.get(algorithm);
  if (length === undefined) {
    if (!wellFormedDigestRegexp.test(digest)) {
      throw new TsctrError('invalid checksum digest format', { hint: DIGEST_HINT });
    }
    throw new TsctrError('unsupported digest algorithm', {
      hint: `"${algorithm}" is not one of sha256, sha384, sha512`,
    });
  }
  if (encoded.length !== length) {
    throw new TsctrError('invalid checksum digest length', {
      hint: `a ${algorithm} digest has ${length} hex digits, this one has ${encoded.length}`,
    });
  }
  if (!/^[a-f0-9]+$/.test(encoded)) {
    throw new TsctrError('invalid checksum digest format', {
      hint: `${DIGEST_HINT}; upper case is not allowed`,
    });
  }
  return digest;
}

/** Says which part of a reference docker's bare "invalid reference format" is about. */
function formatHint(input: string): string {
  if (input === '') return `an image name is required, ${EXAMPLE}`;
  const at = input.indexOf('@');
  if (at !== -1 && !digestRegexp.test(input.slice(at + 1))) {
    return `the part after '@' must be a digest: ${DIGEST_HINT}`;
  }
  const beforeDigest = at === -1 ? input : input.slice(0, at);
  const colon = beforeDigest.lastIndexOf(':');
  // Only blame the tag when what precedes it is a name: in '[fc00::1]' the colon is no tag's.
  if (colon > beforeDigest.lastIndexOf('/') && nameRegexp.test(beforeDigest.slice(0, colon))) {
    const tag = beforeDigest.slice(colon + 1);
    if (tag === '') return `the tag after ':' is empty; leave out the ':' to mean :${DEFAULT_TAG}`;
    if (tag.length > 128) return `a tag is at most 128 characters, this one has ${tag.length}`;
    if (!tagRegexp.test(tag)) {
      return "a tag is letters, digits, '_', '.' and '-', and does not start with '.' or '-'";
    }
  }
  return (
    "a name is '/'-separated components of lower-case letters and digits joined by '.', '_', " +
    `'__' or '-', optionally after a registry host[:port]; ${EXAMPLE}`
  );
}

function withSuffix(name: string, ref: ImageReference): string {
  const tag = ref.tag === undefined ? '' : `:${ref.tag}`;
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return name + tag + digest;
}

function stripPort(domain: string): string {
  // A bare IPv6 address has colons but no port.
  if (domain.indexOf(':') !== domain.lastIndexOf(':') && net().isIP(domain) !== 0) return domain;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    return close === -1 ? domain : domain.slice(1, close);
  }
  const colon = domain.lastIndexOf(':');
  return colon === -1 ? domain : domain.slice(0, colon);
}
