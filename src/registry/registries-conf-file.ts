/**
 * Parsing and validation of one containers-registries.conf(5) file, with containers/image's
 * rules (sysregistriesv2 loadConfigFile and postProcessRegistries): version 2, or version 1
 * converted; prefixes and locations without URL schemes; aliases that are short names mapped
 * to fully qualified names. Every problem names its file. registries-conf.ts finds and merges
 * the files.
 */
import { parse, TomlError } from 'smol-toml';
import { TsctrError } from '../errors.ts';
import { parseReference } from './reference.ts';
import type { AliasEntry, RegistryEntry, ShortNameMode } from './registries-conf.ts';

/** What one file says; undefined for what it leaves to other files. */
export interface RegistriesConfFile {
  file: string;
  registries: RegistryEntry[];
  unqualifiedSearchRegistries: string[] | undefined;
  shortNameMode: ShortNameMode | undefined;
  /** `credential-helpers`: helper names, or the reserved "containers-auth.json". */
  credentialHelpers: string[] | undefined;
  /** '' means: remove an alias an earlier file set. */
  aliases: Map<string, string>;
}

export const CONF_HINT =
  'fix or remove the file; its format is described in containers-registries.conf(5)';
const V2_KEYS = [
  'registry',
  'unqualified-search-registries',
  'short-name-mode',
  'aliases',
  'credential-helpers',
  'additional-layer-store-auth-helper',
];

/** Parses one registries.conf; drop-ins must use version 2, as containers/image requires. */
export function parseRegistriesConf(
  text: string,
  file: string,
  dropIn: boolean,
): RegistriesConfFile {
  // The stock registries.conf of many distributions is all comments; not starting the TOML
  // parser for it saves a millisecond of every cold pull.
  const doc = /^[ \t]*[^#\s]/m.test(text) ? parseToml(text, file) : {};
  if (doc.registries !== undefined) return fromV1(doc, file, dropIn);

  const registries = list(doc.registry, file, '"registry"').map((raw, i) =>
    parseRegistry(raw, i, file),
  );
  let mode: ShortNameMode | undefined;
  const rawMode = doc['short-name-mode'];
  if (rawMode !== undefined && rawMode !== '') {
    if (rawMode !== 'enforcing' && rawMode !== 'permissive' && rawMode !== 'disabled') {
      throw invalid(file, `"short-name-mode" must be "enforcing", "permissive" or "disabled"`);
    }
    mode = rawMode;
  }
  return {
    file,
    registries: checkRegistries(registries, file),
    unqualifiedSearchRegistries: searchRegistries(doc['unqualified-search-registries'], file),
    shortNameMode: mode,
    credentialHelpers: credentialHelpers(doc['credential-helpers'], file),
    aliases: parseAliases(doc.aliases, file),
  };
}

/** Each name becomes a program, docker-credential-NAME, looked up on $PATH. */
function credentialHelpers(raw: unknown, file: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = strings(raw, file, '"credential-helpers"');
  for (const n of names) {
    if (n === '' || n.includes('/') || /\s/.test(n)) {
      throw invalid(file, `"credential-helpers" entry ${JSON.stringify(n)} is not a helper name`);
    }
  }
  return names;
}

/**
 * Version 1 ([registries.search], [registries.insecure], [registries.block]) converted as
 * containers/image converts it: blocked and insecure hosts become [[registry]] entries.
 */
function fromV1(doc: Table, file: string, dropIn: boolean): RegistriesConfFile {
  const hint = 'convert it to version 2, as containers-registries.conf(5) describes';
  if (dropIn) {
    throw invalid(file, 'a drop-in file must use the version 2 format, not [registries.*]', hint);
  }
  if (V2_KEYS.some((k) => doc[k] !== undefined)) {
    throw invalid(
      file,
      'the version 1 format ([registries.*]) cannot be mixed with version 2',
      hint,
    );
  }
  const v1 = table(doc.registries, file, '[registries]');
  const hosts = (name: string): string[] | undefined => {
    if (v1[name] === undefined) return undefined;
    const t = table(v1[name], file, `[registries.${name}]`);
    return strings(t.registries, file, `[registries.${name}] registries`);
  };
  const byLocation = new Map<string, RegistryEntry>();
  const entry = (host: string): RegistryEntry => {
    const location = cleanLocation(host, file, `[registries.*] entry "${host}"`);
    let e = byLocation.get(location);
    if (e === undefined) {
      e = { ...registryDefaults(file), prefix: location, location };
      byLocation.set(location, e);
    }
    return e;
  };
  for (const h of hosts('block') ?? []) entry(h).blocked = true;
  for (const h of hosts('insecure') ?? []) entry(h).insecure = true;
  return {
    file,
    registries: checkRegistries([...byLocation.values()], file),
    unqualifiedSearchRegistries: searchRegistries(hosts('search'), file),
    shortNameMode: undefined,
    credentialHelpers: undefined,
    aliases: new Map(),
  };
}

function parseRegistry(raw: unknown, index: number, file: string): RegistryEntry {
  let where = `[[registry]] #${index + 1}`;
  const t = table(raw, file, where);
  const location = cleanLocation(string(t.location, file, `${where} location`), file, where);
  let prefix = cleanLocation(string(t.prefix, file, `${where} prefix`), file, where);
  if (prefix === '') {
    if (location === '') throw invalid(file, `${where} has neither "prefix" nor "location"`);
    prefix = location;
  }
  where = `[[registry]] with prefix "${prefix}"`;
  if (prefix.startsWith('*.')) {
    if (/[/@:]/.test(prefix)) {
      throw invalid(
        file,
        `${where}: a wildcard prefix must be "*.example.com", without port or path`,
      );
    }
  } else if (location === '') {
    throw invalid(file, `${where} has no "location"; only a "*.example.com" prefix may omit it`);
  }
  if (location !== '') checkLocation(location, file, where);
  if (t['pull-from-mirror'] !== undefined) {
    throw invalid(file, `${where}: "pull-from-mirror" belongs in its [[registry.mirror]] tables`);
  }
  const entry: RegistryEntry = {
    ...registryDefaults(file),
    prefix,
    location,
    insecure: bool(t.insecure, file, `${where} insecure`),
    blocked: bool(t.blocked, file, `${where} blocked`),
    mirrorByDigestOnly: bool(t['mirror-by-digest-only'], file, `${where} mirror-by-digest-only`),
  };
  entry.mirrors = list(t.mirror, file, `${where} mirror`).map((m, j) => {
    const mwhere = `${where}, mirror #${j + 1}`;
    const mt = table(m, file, mwhere);
    const mloc = cleanLocation(string(mt.location, file, `${mwhere} location`), file, mwhere);
    if (mloc === '') throw invalid(file, `${mwhere} has no "location"`);
    checkLocation(mloc, file, mwhere);
    const pull = string(mt['pull-from-mirror'], file, `${mwhere} pull-from-mirror`);
    if (pull !== '' && pull !== 'all' && pull !== 'digest-only' && pull !== 'tag-only') {
      throw invalid(
        file,
        `${mwhere}: "pull-from-mirror" must be "all", "digest-only" or "tag-only"`,
      );
    }
    if (pull !== '' && entry.mirrorByDigestOnly) {
      throw invalid(
        file,
        `${mwhere}: "pull-from-mirror" cannot be combined with the registry's "mirror-by-digest-only"`,
      );
    }
    return {
      location: mloc,
      insecure: bool(mt.insecure, file, `${mwhere} insecure`),
      pullFromMirror: pull === '' ? 'all' : pull,
    };
  });
  return entry;
}

/**
 * containers/image's postProcessRegistries: one host must not be both secure and insecure, or
 * blocked and not; of entries with the same prefix the first wins; the result is sorted.
 */
function checkRegistries(entries: RegistryEntry[], file: string): RegistryEntry[] {
  const byHost = new Map<string, RegistryEntry>();
  const byPrefix = new Map<string, RegistryEntry>();
  for (const e of entries) {
    const key = e.location || e.prefix;
    const other = byHost.get(key);
    if (other === undefined) byHost.set(key, e);
    else if (other.insecure !== e.insecure || other.blocked !== e.blocked) {
      const what = other.insecure !== e.insecure ? 'insecure' : 'blocked';
      throw invalid(file, `registry "${key}" is defined more than once with different "${what}"`);
    }
    if (!byPrefix.has(e.prefix)) byPrefix.set(e.prefix, e);
  }
  return [...byPrefix.values()].sort((a, b) => compareBytes(a.prefix, b.prefix));
}

function searchRegistries(raw: unknown, file: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const what = 'unqualified-search-registries';
  return strings(raw, file, what).map((value) => {
    const host = cleanLocation(value, file, `"${what}" entry`);
    if (host.includes('/') || !namesRegistry(`${host}/x`)) {
      throw invalid(file, `"${what}" entry "${value}" is not a registry host[:port]`);
    }
    return host;
  });
}

/**
 * [aliases]: "short name" = "fully qualified name". Only the types are checked here; the names
 * are checked by checkAliases once it is known that short names are searched at all.
 */
function parseAliases(raw: unknown, file: string): Map<string, string> {
  const aliases = new Map<string, string>();
  if (raw === undefined) return aliases;
  for (const [name, value] of Object.entries(table(raw, file, '[aliases]'))) {
    if (typeof value !== 'string') throw invalid(file, `alias "${name}" must be a string`);
    aliases.set(name, value);
  }
  return aliases;
}

/**
 * An alias maps a short name to a fully qualified one, neither with a tag or digest. Every bad
 * entry of a file is reported at once, as containers/image does, rather than one per attempt.
 */
export function checkAliases(aliases: ReadonlyMap<string, AliasEntry>): void {
  const problems = new Map<string, string[]>();
  for (const [name, { value, file }] of aliases) {
    let problem = aliasProblem(name, false);
    if (problem !== undefined) problem = `alias "${name}": ${problem}`;
    else {
      problem = aliasProblem(value, true);
      if (problem !== undefined) problem = `alias "${name}" = "${value}": ${problem}`;
    }
    if (problem !== undefined) problems.set(file, [...(problems.get(file) ?? []), problem]);
  }
  for (const [file, list] of problems) throw invalid(file, list.join('; '));
}

function aliasProblem(name: string, qualified: boolean): string | undefined {
  let ref;
  try {
    ref = parseReference(name);
  } catch (err) {
    return (err as Error).message;
  }
  if (ref.tag !== undefined) return 'must not have a tag';
  if (ref.digest !== undefined) return 'must not have a digest';
  if (qualified && !hasExplicitRegistry(name)) return 'must start with a registry host';
  if (!qualified && hasExplicitRegistry(name)) return 'must be a short name, without a registry';
  return undefined;
}

/**
 * distribution/reference's rule (splitDockerDomain) for whether a name starts with a registry:
 * a first component that is 'localhost', or has a '.' or ':', or has upper case.
 */
export function hasExplicitRegistry(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash === -1) return false;
  const first = name.slice(0, slash);
  return (
    first === 'localhost' ||
    first.includes('.') ||
    first.includes(':') ||
    first.toLowerCase() !== first
  );
}

function namesRegistry(name: string): boolean {
  if (!hasExplicitRegistry(name)) return false;
  try {
    const ref = parseReference(name);
    return ref.tag === undefined && ref.digest === undefined;
  } catch {
    return false;
  }
}

/** containers/image's parseLocation: no trailing '/', and no URL scheme. */
function cleanLocation(value: string, file: string, where: string): string {
  const trimmed = value.replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) {
    throw invalid(
      file,
      `${where}: "${value}" must not have a URL scheme`,
      'write host[:port][/path], like "mirror.example.com/docker.io"; set insecure = true for plain HTTP',
    );
  }
  return trimmed;
}

/** A location is where names are rewritten to, so it must read as host[:port][/path]. */
function checkLocation(location: string, file: string, where: string): void {
  if (!namesRegistry(location.includes('/') ? location : `${location}/x`)) {
    throw invalid(file, `${where}: location "${location}" is not host[:port][/path]`);
  }
}

type Table = Record<string, unknown>;

function parseToml(text: string, file: string): Table {
  try {
    return parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const why = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    throw new TsctrError(
      `invalid TOML in ${file}: line ${err.line}, column ${err.column}: ${why}`,
      {
        hint: CONF_HINT,
        path: file,
        cause: err,
      },
    );
  }
}

/** podman's short-name-aliases.conf: only an [aliases] table. */
export function parseAliasFile(text: string, file: string): Map<string, string> {
  return parseAliases(parseToml(text, file).aliases, file);
}

function registryDefaults(file: string): RegistryEntry {
  const e = {
    prefix: '',
    location: '',
    insecure: false,
    blocked: false,
    mirrorByDigestOnly: false,
  };
  return { ...e, mirrors: [], file };
}

function invalid(file: string, problem: string, hint = CONF_HINT): TsctrError {
  return new TsctrError(`invalid registries configuration ${file}: ${problem}`, {
    hint,
    path: file,
  });
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function table(v: unknown, file: string, what: string): Table {
  if (!isTable(v)) throw invalid(file, `${what} must be a table`);
  return v;
}

function list(v: unknown, file: string, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(file, `${what} must be an array of tables ([[…]])`);
  return v;
}

function strings(v: unknown, file: string, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    throw invalid(file, `${what} must be an array of strings`);
  }
  return v as string[];
}

function string(v: unknown, file: string, what: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw invalid(file, `${what} must be a string`);
  return v;
}

function bool(v: unknown, file: string, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalid(file, `${what} must be true or false`);
  return v;
}

/** Byte order, as Go sorts prefixes and file names. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
