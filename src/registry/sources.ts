/**
 * Where to pull an image from, given the registry configuration (registries-conf.ts): which full
 * names a name typed by the user may stand for, and for a full name the endpoints to try, in
 * order. The rules are containers/image's (sysregistriesv2, pkg/shortnames), except that tsctr
 * keeps docker's meaning of a short name (docker.io) unless unqualified-search-registries is set.
 */
import { BlockList, isIP } from 'node:net';
import { TsctrError } from '../errors.ts';
import { hasExplicitRegistry } from './registries-conf-file.ts';
import type { RegistriesConfig, RegistryEntry } from './registries-conf.ts';
import { isLoopbackRegistry, parseReference, type ImageReference } from './reference.ts';

export interface PullSource {
  /** host[:port] to connect to; 'docker.io' stays as it is (the client knows its API host). */
  registry: string;
  /** Repository path on that host. */
  repository: string;
  /** Plain HTTP and unverified TLS are allowed. */
  insecure: boolean;
  /** A mirror, as opposed to the registry the name belongs to (or its location). */
  mirror: boolean;
  /** The name being pulled, without tag or digest: 'docker.io/library/busybox'. */
  origin: string;
}

export interface ShortNameResolution {
  /** The full names to try, in order; the first one that exists wins. */
  refs: ImageReference[];
  /** The file whose [aliases] entry gave refs, when one did. */
  alias?: string;
  /** The file whose unqualified-search-registries gave refs, when they did. */
  searchFile?: string;
}

/**
 * The full names `input` stands for. A name with a registry host is itself. A short name
 * ('busybox', 'user/app:1') is docker.io's, as in docker, unless registries.conf sets
 * unqualified-search-registries; then an [aliases] entry for it is the one candidate, and
 * otherwise each search registry is one, in order. tsctr never prompts, so short-name-mode
 * "enforcing" refuses a name that several registries could serve, and "permissive" behaves as
 * podman does without a terminal. Tags and digests carry over to the candidates.
 */
export function shortNameCandidates(input: string, conf: RegistriesConfig): ShortNameResolution {
  // Invalid input fails with docker's messages before anything else is considered.
  const ref = parseReference(input);
  if (hasExplicitRegistry(input) || conf.unqualifiedSearchRegistries.length === 0) {
    return { refs: [ref] };
  }

  // A short name has no port, so the first ':' before any '@' starts the tag.
  const name = input.split('@')[0]!.split(':')[0]!;
  const alias = conf.aliases.get(name);
  if (alias !== undefined) {
    const target = parseReference(alias.value);
    if (ref.tag !== undefined) target.tag = ref.tag;
    if (ref.digest !== undefined) target.digest = ref.digest;
    return { refs: [target], alias: alias.file };
  }

  const refs = conf.unqualifiedSearchRegistries.map((r) => parseReference(`${r}/${input}`));
  if (refs.length > 1 && conf.shortNameMode === 'enforcing') {
    throw new TsctrError(
      `short name "${name}" is ambiguous: it could be on any of ` +
        `${conf.unqualifiedSearchRegistries.join(', ')} (short-name-mode is "enforcing")`,
      {
        hint:
          `give the full name, like ${refs[0]!.domain}/${name}, or add "${name}" to [aliases] ` +
          `in ${conf.searchFile ?? 'registries.conf'}`,
      },
    );
  }
  const resolution: ShortNameResolution = { refs };
  if (conf.searchFile !== undefined) resolution.searchFile = conf.searchFile;
  return resolution;
}

/**
 * The endpoints to try for a full name, in order: the mirrors of its [[registry]] (those that
 * pull-from-mirror / mirror-by-digest-only allow for a pull by tag or by digest), then for
 * docker.io the registry-mirrors of tsctr's config.json, then the registry itself, rewritten to
 * its location. Duplicates are dropped, as is a mirror whose host is blocked; a blocked name
 * is an error.
 */
export function pullSources(ref: ImageReference, conf: RegistriesConfig): PullSource[] {
  const origin = `${ref.domain}/${ref.path}`;
  const reg = findRegistry(conf, origin);
  if (reg?.blocked) throw blocked(reg);

  const digested = ref.digest !== undefined;
  const mirrors: Omit<PullSource, 'origin'>[] = [];
  for (const m of reg?.mirrors ?? []) {
    const allowed = reg!.mirrorByDigestOnly
      ? digested
      : m.pullFromMirror === 'all' || (m.pullFromMirror === 'digest-only') === digested;
    if (!allowed) continue;
    mirrors.push({ ...rewrite(ref, reg!, m.location), insecure: m.insecure, mirror: true });
  }
  if (ref.domain === 'docker.io') {
    for (const m of conf.registryMirrors) {
      mirrors.push({ registry: m.host, repository: ref.path, insecure: m.insecure, mirror: true });
    }
  }
  const primary =
    reg === undefined
      ? { registry: ref.domain, repository: ref.path, insecure: false, mirror: false }
      : { ...rewrite(ref, reg, reg.location), insecure: reg.insecure, mirror: false };
  const primaryHost = findRegistry(conf, primary.registry);
  if (primaryHost?.blocked) throw blocked(primaryHost);

  const key = (s: { registry: string; repository: string }) => `${s.registry}/${s.repository}`;
  const seen = new Set([key(primary)]);
  const sources: PullSource[] = [];
  for (const m of [...mirrors, primary]) {
    if (m.mirror && (seen.has(key(m)) || findRegistry(conf, m.registry)?.blocked)) continue;
    seen.add(key(m));
    sources.push({ ...m, insecure: m.insecure || isInsecureRegistry(conf, m.registry), origin });
  }
  return sources;
}

/** 'm.daocloud.io/docker.io/library/busybox': what to name a source in progress messages. */
export function describeSource(source: PullSource): string {
  return `${source.registry}/${source.repository}`;
}

/**
 * Whether a host[:port] may be spoken to in plain HTTP or unverified TLS: loopback (as dockerd
 * allows by default), tsctr's insecure-registries (a CIDR matches an IP address written in the
 * name; tsctr does not resolve names for it), or insecure = true on the [[registry]] whose
 * prefix matches the host.
 */
export function isInsecureRegistry(conf: RegistriesConfig, host: string): boolean {
  if (isLoopbackRegistry(host)) return true;
  if (conf.insecureRegistries.includes(host.toLowerCase())) return true;
  if (findRegistry(conf, host)?.insecure) return true;
  if (conf.insecureCidrs.length === 0) return false;
  const address = hostAddress(host);
  const family = isIP(address);
  if (family === 0) return false;
  const networks = new BlockList();
  for (const cidr of conf.insecureCidrs) {
    const [net, bits] = cidr.split('/') as [string, string];
    networks.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
  }
  return networks.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The [[registry]] for a name ('host[:port]/path', without tag or digest) or a bare host: the
 * longest matching prefix; of equally long ones, the first in prefix order, as in
 * containers/image.
 */
export function findRegistry(conf: RegistriesConfig, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const r of conf.registries) {
    if (r.prefix.length > (best?.prefix.length ?? 0) && matchLength(name, r.prefix) !== -1)
      best = r;
  }
  return best;
}

/** How much of `name` the prefix covers, or -1 when it does not match. */
function matchLength(name: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    // '*.example.com' is any number of subdomains of example.com, with any port. The port is
    // part of the match, so that a location replaces the whole host; containers/image would
    // keep it after the location ('mirror/path:5000/app'), which is no name at all.
    const suffix = prefix.slice(1);
    const at = name.indexOf(suffix);
    if (at <= 0 || name.slice(0, at).includes('/')) return -1;
    let end = at + suffix.length;
    if (name[end] === ':') end = name.includes('/', end) ? name.indexOf('/', end) : name.length;
    return end === name.length || name[end] === '/' ? end : -1;
  }
  if (name === prefix) return prefix.length;
  // Names are matched without tag or digest, so only a '/' may follow the prefix. containers/image
  // also accepts ':' (meant for tags), which lets 'example.com' claim 'example.com:5000', a bug
  // it documents and asks nobody to rely on.
  return name.startsWith(prefix) && name[prefix.length] === '/' ? prefix.length : -1;
}

/** The prefix part of the name replaced by `location`; '' (a wildcard entry) changes nothing. */
function rewrite(
  ref: ImageReference,
  reg: RegistryEntry,
  location: string,
): { registry: string; repository: string } {
  if (location === '') return { registry: ref.domain, repository: ref.path };
  const name = `${ref.domain}/${ref.path}`;
  const rewritten = location + name.slice(matchLength(name, reg.prefix));
  let target: ImageReference | undefined;
  try {
    if (hasExplicitRegistry(rewritten)) target = parseReference(rewritten);
  } catch {
    // reported below
  }
  if (target === undefined || target.tag !== undefined || target.digest !== undefined) {
    throw new TsctrError(
      `cannot pull ${name} from location "${location}": ${rewritten} is not a valid image name`,
      { hint: `check the [[registry]] with prefix "${reg.prefix}" in ${reg.file}` },
    );
  }
  return { registry: target.domain, repository: target.path };
}

function blocked(reg: RegistryEntry): TsctrError {
  return new TsctrError(`registry ${reg.prefix} is blocked in ${reg.file}`, {
    hint: `to pull from it, remove "blocked = true" from the [[registry]] with prefix "${reg.prefix}"`,
  });
}

/** The host of a host[:port] without brackets, for matching an IP address. */
function hostAddress(host: string): string {
  if (isIP(host) !== 0) return host;
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
