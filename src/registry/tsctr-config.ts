/**
 * The registry keys of tsctr's own configuration file, $XDG_CONFIG_HOME/tsctr/config.json. They
 * are dockerd's daemon.json keys with dockerd's meaning, so a daemon.json fragment can be copied
 * in as it is: "registry-mirrors" lists pull-through mirrors of Docker Hub by the URL of their
 * root, and "insecure-registries" lists host[:port] or CIDR entries that may be reached over
 * plain HTTP or TLS without verification. Other keys are left to whoever reads them.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fromSystemError, TsctrError } from '../errors.ts';
import { parseReference } from './reference.ts';

export interface DockerMirror {
  /** host[:port] to connect to, as it appears in the URL. */
  host: string;
  /** An http:// mirror must be spoken to in plain HTTP. */
  insecure: boolean;
}

export interface TsctrRegistrySettings {
  registryMirrors: DockerMirror[];
  /** host[:port] entries, lower-cased. */
  insecureRegistries: string[];
  /** 'address/bits' entries; dockerd matches them against a registry's addresses. */
  insecureCidrs: string[];
}

const HINT =
  'fix or remove the file; tsctr reads "registry-mirrors" and "insecure-registries" from it ' +
  "with the meaning they have in dockerd's daemon.json";

/** Reads the file; undefined when there is none. */
export function readTsctrRegistrySettings(file: string): TsctrRegistrySettings | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fromSystemError('cannot read tsctr configuration', err, HINT);
  }
  return parseTsctrRegistrySettings(text, file);
}

export function parseTsctrRegistrySettings(text: string, file: string): TsctrRegistrySettings {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // V8 mostly says where ("… at position 29 (line 2 column 28)"); otherwise it quotes the
    // text around the error, newlines included, which would break the one-line message.
    const why = (err as Error).message.replace(/\s*\n\s*/g, ' ');
    throw new TsctrError(`invalid JSON in ${file}: ${why}`, {
      hint: HINT,
      path: file,
      cause: err,
    });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(file, 'the file must hold a JSON object, like {"registry-mirrors": [...]}');
  }
  const obj = doc as Record<string, unknown>;
  const settings: TsctrRegistrySettings = {
    registryMirrors: stringList(obj, 'registry-mirrors', file).map((m) => mirror(m, file)),
    insecureRegistries: [],
    insecureCidrs: [],
  };
  for (const entry of stringList(obj, 'insecure-registries', file)) {
    // dockerd drops a scheme here (with a warning) rather than refusing it.
    const value = entry.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
    if (value.includes('/')) settings.insecureCidrs.push(cidr(value, entry, file));
    else settings.insecureRegistries.push(host(value, entry, file));
  }
  return settings;
}

function stringList(obj: Record<string, unknown>, key: string, file: string): string[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalid(file, `"${key}" must be an array of strings`);
  }
  return value as string[];
}

/**
 * dockerd's ValidateMirror: an http or https URL of a registry root, with neither credentials,
 * path, query nor fragment. A bare host means https, which dockerd refuses but is what a user
 * who leaves out the scheme means.
 */
function mirror(entry: string, file: string): DockerMirror {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `https://${entry}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(file, `"registry-mirrors" entry "${entry}" is not a URL`, MIRROR_HINT);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(file, `"registry-mirrors" entry "${entry}" must use http or https`, MIRROR_HINT);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid(file, `"registry-mirrors" entry "${entry}" must not hold credentials`, {
      hint: 'store credentials with `tsctr login`, not in the mirror URL',
    });
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw invalid(file, `"registry-mirrors" entry "${entry}" must be the root of a registry`, {
      hint:
        'a registry mirror serves Docker Hub at the root of its host; for a mirror under a ' +
        'path, add a [[registry.mirror]] with location = "host/path" to registries.conf',
    });
  }
  return { host: url.host, insecure: url.protocol === 'http:' };
}

const MIRROR_HINT = { hint: 'write the URL of the mirror, like "https://mirror.example.com"' };

function host(value: string, entry: string, file: string): string {
  let valid = value !== '';
  try {
    if (valid) parseReference(`${value}/x`);
  } catch {
    valid = false;
  }
  if (valid) return value.toLowerCase();
  throw invalid(file, `"insecure-registries" entry "${entry}" is not host[:port] or a CIDR`, {
    hint: 'write a registry as host:port, like "registry.example.com:5000", or a network as "10.0.0.0/8"',
  });
}

function cidr(value: string, entry: string, file: string): string {
  const slash = value.indexOf('/');
  const address = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const family = isIP(address);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    throw invalid(file, `"insecure-registries" entry "${entry}" is not host[:port] or a CIDR`, {
      hint: 'write a network as address/bits, like "10.0.0.0/8" or "fd00::/8"',
    });
  }
  return `${address}/${Number(bits)}`;
}

function invalid(file: string, problem: string, detail: { hint: string } = { hint: HINT }) {
  return new TsctrError(`invalid tsctr configuration ${file}: ${problem}`, {
    hint: detail.hint,
    path: file,
  });
}
