/**
 * Loads the configuration that decides where images are pulled from:
 * - containers-registries.conf(5), with the registries.conf.d drop-ins, found and merged as
 *   containers/image's sysregistriesv2 does, so a setup shared with podman means the same here;
 * - podman's machine-written short-name-aliases.conf, when short names are searched at all;
 * - the registry keys of tsctr's own config.json (tsctr-config.ts).
 * Each file is parsed and validated by registries-conf-file.ts (or tsctr-config.ts), so a
 * mistake fails the load, naming its file. sources.ts turns the result into the endpoints to
 * try.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fromSystemError, TsctrError } from '../errors.ts';
import {
  CONF_HINT,
  checkAliases,
  compareBytes,
  parseAliasFile,
  parseRegistriesConf,
  type RegistriesConfFile,
} from './registries-conf-file.ts';
import { readTsctrRegistrySettings, type TsctrRegistrySettings } from './tsctr-config.ts';

export type { DockerMirror } from './tsctr-config.ts';

export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';
export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';

export interface MirrorEntry {
  /** host[:port][/path]: the namespace that mirrors the registry's prefix. */
  location: string;
  insecure: boolean;
  pullFromMirror: PullFromMirror;
}

export interface RegistryEntry {
  /** What a name must start with: 'example.com/foo', 'docker.io', or '*.example.com'. */
  prefix: string;
  /** Replaces the prefix; '' (allowed only for a '*.' prefix) keeps the name as it is. */
  location: string;
  insecure: boolean;
  blocked: boolean;
  /** The registry-level switch: use the mirrors only for pulls by digest. */
  mirrorByDigestOnly: boolean;
  mirrors: MirrorEntry[];
  /** The file the entry came from, for messages. */
  file: string;
}

export interface AliasEntry {
  /** A fully qualified name without tag or digest: 'quay.io/podman/stable'. */
  value: string;
  file: string;
}

export interface RegistriesConfig extends TsctrRegistrySettings {
  /** One entry per prefix, sorted by prefix (containers/image's order, which breaks ties). */
  registries: RegistryEntry[];
  /** host[:port] entries; empty means docker's rule (a short name is on docker.io). */
  unqualifiedSearchRegistries: string[];
  /** The file that set unqualifiedSearchRegistries. */
  searchFile: string | undefined;
  shortNameMode: ShortNameMode;
  /**
   * Where credentials are looked up, in order, and stored (the first that takes them):
   * docker-credential-NAME helpers, and "containers-auth.json" for the auth files.
   */
  credentialHelpers: string[];
  /** The file that set credentialHelpers; undefined for the default. */
  credentialHelpersFile: string | undefined;
  /** Short name (no tag) → alias; consulted, and checked, only when search registries are set. */
  aliases: ReadonlyMap<string, AliasEntry>;
  /** Every file that was read, in order. */
  files: string[];
}

/** The reserved credential-helpers name that stands for the auth files (containers-auth.json(5)). */
export const AUTH_FILES_HELPER = 'containers-auth.json';

export interface LoadOptions {
  /** The system-wide directory, /etc/containers. */
  systemConfigDir?: string;
  /** Where root's short-name-aliases.conf lives, /var/cache/containers. */
  systemCacheDir?: string;
}

/** The configuration of a machine with no files at all: docker's behaviour. */
export function emptyRegistriesConfig(): RegistriesConfig {
  return {
    registries: [],
    unqualifiedSearchRegistries: [],
    searchFile: undefined,
    shortNameMode: 'permissive',
    credentialHelpers: [AUTH_FILES_HELPER],
    credentialHelpersFile: undefined,
    aliases: new Map(),
    files: [],
    registryMirrors: [],
    insecureRegistries: [],
    insecureCidrs: [],
  };
}

/**
 * Finds and merges the files. Which registries.conf, and which drop-in directories, follow
 * containers/image (containers-registries.conf.d(5)):
 * - CONTAINERS_REGISTRIES_CONF names the file, which must exist; drop-ins come from the system
 *   directory, then the user's;
 * - otherwise the user's file if it exists, with only the user's drop-ins;
 * - otherwise /etc/containers/registries.conf (which may be missing), with the system's
 *   drop-ins, then the user's.
 * Each drop-in directory contributes its *.conf files in lexical order; a later file replaces
 * a [[registry]] with the same prefix, unqualified-search-registries and short-name-mode, and
 * adds to or overrides [aliases] ("" removes one). The user's directory is
 * $XDG_CONFIG_HOME/containers, where containers/image uses $HOME/.config/containers: the two
 * agree unless XDG_CONFIG_HOME is set elsewhere.
 */
export function loadRegistriesConfig(env = process.env, opts: LoadOptions = {}): RegistriesConfig {
  const home = env.HOME || homedir();
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  const systemDir = opts.systemConfigDir ?? '/etc/containers';
  const userFile = join(configHome, 'containers/registries.conf');
  const userDropIns = join(configHome, 'containers/registries.conf.d');
  const systemDropIns = join(systemDir, 'registries.conf.d');

  const merged = new Merged();
  let dropInDirs = [systemDropIns, userDropIns];
  const explicit = env.CONTAINERS_REGISTRIES_CONF;
  if (explicit) {
    const text = readOptional(explicit);
    if (text === undefined) {
      throw new TsctrError(`registries configuration ${explicit} does not exist`, {
        hint: 'CONTAINERS_REGISTRIES_CONF names it; point it at a registries.conf, or unset it',
        path: explicit,
      });
    }
    merged.add(parseRegistriesConf(text, explicit, false));
  } else {
    const userText = readOptional(userFile);
    if (userText !== undefined) {
      merged.add(parseRegistriesConf(userText, userFile, false));
      dropInDirs = [userDropIns];
    } else {
      const systemFile = join(systemDir, 'registries.conf');
      const text = readOptional(systemFile);
      if (text !== undefined) merged.add(parseRegistriesConf(text, systemFile, false));
    }
  }
  for (const dir of dropInDirs) {
    for (const file of dropIns(dir)) {
      // Removed between the listing and the read: containers/image ignores that race too.
      const text = readOptional(file);
      if (text !== undefined) merged.add(parseRegistriesConf(text, file, true));
    }
  }

  const conf = { ...emptyRegistriesConfig(), ...merged.result() };
  // Aliases matter only for short names that are searched, so podman's alias file (which has
  // precedence over registries.conf) is read, and aliases are checked, only then: an alias file
  // meant for podman costs docker-style pulls neither time nor failures.
  if (conf.unqualifiedSearchRegistries.length > 0) {
    const file =
      process.geteuid?.() === 0
        ? join(opts.systemCacheDir ?? '/var/cache/containers', 'short-name-aliases.conf')
        : join(env.XDG_CACHE_HOME || join(home, '.cache'), 'containers/short-name-aliases.conf');
    const text = readOptional(file);
    if (text !== undefined) {
      const aliases = new Map(conf.aliases);
      for (const [name, value] of parseAliasFile(text, file)) {
        if (value === '') aliases.delete(name);
        else aliases.set(name, { value, file });
      }
      conf.aliases = aliases;
      conf.files.push(file);
    }
    checkAliases(conf.aliases);
  }
  const tsctrFile = join(configHome, 'tsctr/config.json');
  const settings = readTsctrRegistrySettings(tsctrFile);
  if (settings !== undefined) {
    Object.assign(conf, settings);
    conf.files.push(tsctrFile);
  }
  return conf;
}

class Merged {
  registries = new Map<string, RegistryEntry>();
  search: string[] = [];
  searchFile: string | undefined;
  mode: ShortNameMode = 'permissive';
  helpers: string[] = [AUTH_FILES_HELPER];
  helpersFile: string | undefined;
  aliases = new Map<string, AliasEntry>();
  files: string[] = [];

  add(f: RegistriesConfFile): void {
    this.files.push(f.file);
    for (const r of f.registries) this.registries.set(r.prefix, r);
    if (f.unqualifiedSearchRegistries !== undefined) {
      this.search = f.unqualifiedSearchRegistries;
      this.searchFile = f.file;
    }
    if (f.shortNameMode !== undefined) this.mode = f.shortNameMode;
    // Replaced whenever set, as in containers/image: an empty list restores the default.
    if (f.credentialHelpers !== undefined) {
      this.helpers = f.credentialHelpers.length ? f.credentialHelpers : [AUTH_FILES_HELPER];
      this.helpersFile = f.credentialHelpers.length ? f.file : undefined;
    }
    for (const [name, value] of f.aliases) {
      if (value === '') this.aliases.delete(name);
      else this.aliases.set(name, { value, file: f.file });
    }
  }

  result() {
    return {
      registries: [...this.registries.values()].sort((a, b) => compareBytes(a.prefix, b.prefix)),
      unqualifiedSearchRegistries: this.search,
      searchFile: this.searchFile,
      shortNameMode: this.mode,
      credentialHelpers: this.helpers,
      credentialHelpersFile: this.helpersFile,
      aliases: this.aliases,
      files: this.files,
    };
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fromSystemError('cannot read registries configuration', err, CONF_HINT);
  }
}

/** The *.conf files of a directory, sorted; subdirectories are ignored, as is a missing one. */
function dropIns(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw fromSystemError('cannot read registries configuration', err, CONF_HINT);
  }
  return entries
    .filter((e) => !e.isDirectory() && e.name.endsWith('.conf'))
    .map((e) => e.name)
    .sort(compareBytes)
    .map((name) => join(dir, name));
}
