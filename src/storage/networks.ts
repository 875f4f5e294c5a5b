/**
 * User networks' definitions: <root>/networks/<id>.json, written to a temp file and renamed, made
 * and removed under <root>/networks.lock so two `network create`s never get one name or one
 * subnet. Subnets without --subnet are the first free 10.89.N.0/24 (podman's pool) that overlaps
 * no other network and no route of the host. Names and ids are looked up as dockerd looks them
 * up. The runtime side is src/netns/user-networks.ts, src/runtime/endpoints.ts and
 * native/monitor/keeper.h; the network commands are src/runtime/networks.ts.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { randomHex, sha256Hex } from '../native/random.ts';
import { FileLock } from './lock.ts';

export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge';
  EnableIPv6: false;
  IPAM: {
    Driver: 'default';
    Options: Record<string, string>;
    Config: { Subnet: string; Gateway: string }[];
  };
  Internal: boolean;
  Attachable: false;
  Ingress: false;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/**
 * Names that are not user networks: docker's predefined networks (`default` is its other name
 * for `bridge` in `--network`) and tsctr's other network modes (src/netns/index.ts), which
 * `container:NAME` joins too.
 */
export const BUILTIN_NETWORKS: readonly string[] = [
  'none',
  'host',
  'bridge',
  'default',
  'pasta',
  'slirp4netns',
];

/** dockerd's network.IsPredefined: the names its create and rm refuse. */
const DOCKER_PREDEFINED: readonly string[] = ['none', 'host', 'bridge', 'default'];

/** A name no user network may have. */
export const isBuiltinNetworkName = (name: string) =>
  BUILTIN_NETWORKS.includes(name) || name.startsWith('container:');

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function ipv4ToInt(text: string): number {
  const p = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text) ? text.split('.').map(Number) : [];
  if (p.length !== 4 || p.some((x) => x > 255)) {
    throw new TsctrError(`invalid IPv4 address: ${text}`);
  }
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export const intToIpv4 = (n: number) =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export function parseSubnet(cidr: string): { base: number; prefix: number } {
  const [addr, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (!addr || !Number.isInteger(prefix) || prefix < 1 || prefix > 30) {
    throw new TsctrError(`invalid subnet: ${cidr}`);
  }
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipv4ToInt(addr) & mask) >>> 0, prefix };
}

/**
 * docker's default network, which every container without --network joins: built in, never
 * stored, on podman's default subnet. As on docker's default bridge, its containers do not
 * resolve each other's names (only --link names them).
 */
export function defaultBridge(): NetworkRecord {
  return {
    Name: 'bridge',
    Id: sha256Hex('tsctr network bridge'),
    Created: '1970-01-01T00:00:00Z',
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: {},
      Config: [{ Subnet: '10.88.0.0/16', Gateway: '10.88.0.1' }],
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    Options: { 'com.docker.network.bridge.default_bridge': 'true' },
    Labels: {},
  };
}

export const isDefaultBridge = (net: NetworkRecord) => net.Id === defaultBridge().Id;

/** The network's bridge in the keeper's namespace: 15 characters, the kernel's limit. */
export const bridgeName = (net: NetworkRecord) => `br-${net.Id.slice(0, 12)}`;

const dir = (paths: StatePaths) => join(paths.root, 'networks');

export function listNetworks(paths: StatePaths): NetworkRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir(paths));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    if (!/^[0-9a-f]{64}\.json$/.test(f)) return [];
    try {
      return [JSON.parse(readFileSync(join(dir(paths), f), 'utf8')) as NetworkRecord];
    } catch {
      return [];
    }
  });
}

/**
 * dockerd's lookup of a network the user names (findUniqueNetwork): its full id, else its exact
 * name, else the one id that starts with `term`; more than one such id is an error.
 */
export function pickNetwork<T extends { Name: string; Id: string }>(
  all: readonly T[],
  term: string,
): T | undefined {
  if (!term) return undefined;
  const exact = all.find((n) => n.Id === term) ?? all.find((n) => n.Name === term);
  if (exact) return exact;
  const byPrefix = all.filter((n) => n.Id.startsWith(term));
  if (byPrefix.length > 1) {
    throw new TsctrError(
      `network ${term} is ambiguous (${byPrefix.length} matches found based on ID prefix)`,
      { hint: 'give more characters of the ID, or the name' },
    );
  }
  return byPrefix[0];
}

/**
 * A user network or the default one, by name or id (pickNetwork); `default` is `bridge`, as in
 * `run --network default`.
 */
export function findNetwork(paths: StatePaths, nameOrId: string): NetworkRecord | undefined {
  const bridge = defaultBridge();
  if (nameOrId === 'default') return bridge;
  return pickNetwork([...listNetworks(paths), bridge], nameOrId);
}

/**
 * [first, last] addresses of an IPv4 CIDR, refusing a host address where a network's is due
 * (dockerd's validateIpamConfig, whose errors begin "invalid network config:").
 */
export function subnetRange(cidr: string): [number, number] {
  if (cidr.includes(':')) {
    throw new TsctrError(`invalid subnet ${cidr}: IPv6 networks are not supported`, {
      hint: 'give an IPv4 subnet such as 10.89.5.0/24',
    });
  }
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr);
  if (!m) {
    throw new TsctrError(`invalid subnet ${cidr}: want an IPv4 CIDR such as 10.89.5.0/24`);
  }
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 30) {
    throw new TsctrError(`invalid subnet ${cidr}: the prefix must be between 8 and 30`, {
      hint: 'a /30 holds two addresses: the gateway and one container',
    });
  }
  const addr = ipv4ToInt(m[1]!);
  const mask = (~0 << (32 - prefix)) >>> 0;
  const base = (addr & mask) >>> 0;
  if (base !== addr) {
    throw new TsctrError(
      `invalid network config:\ninvalid subnet ${cidr}: it should be ${intToIpv4(base)}/${prefix}`,
    );
  }
  return [base, base + 2 ** (32 - prefix) - 1];
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];

/** The host's IPv4 routes (/proc/net/route: little-endian hex destination and mask). */
export function hostRoutes(text: string): [number, number][] {
  const le = (hex: string) => {
    const n = parseInt(hex, 16);
    return (
      (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0
    );
  };
  return text
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const f = line.trim().split(/\s+/);
      if (f.length < 8) return [];
      const dest = le(f[1]!);
      const mask = le(f[7]!);
      if (mask === 0) return []; // the default route overlaps everything
      return [[dest, (dest | ~mask) >>> 0] as [number, number]];
    });
}

/** The first 10.89.N.0/24 free of `taken`. */
export function freeSubnet(taken: [number, number][]): string {
  for (let n = 0; n < 256; n++) {
    const cidr = `10.89.${n}.0/24`;
    const range = subnetRange(cidr);
    if (!taken.some((t) => overlaps(t, range))) return cidr;
  }
  throw new TsctrError('no free subnet left in 10.89.0.0/16', {
    hint: 'remove unused networks (tsctr network prune), or give --subnet',
  });
}

export interface CreateNetworkOptions {
  name: string;
  subnet?: string | undefined;
  /** Inside `subnet`, which it needs (as docker's CLI: every gateway names its subnet). */
  gateway?: string | undefined;
  internal?: boolean | undefined;
  labels?: Record<string, string> | undefined;
  options?: Record<string, string> | undefined;
  /** /proc/net/route's text: the host's routes, which an allocated subnet must not overlap. */
  routes?: string | undefined;
}

/** Why `name` cannot be a new network's, in docker's words where docker refuses it too. */
function refuseName(name: string): void {
  if (DOCKER_PREDEFINED.includes(name)) {
    throw new TsctrError(`operation is not permitted on predefined ${name} network`, {
      hint: 'give the network another name',
    });
  }
  if (isBuiltinNetworkName(name)) {
    throw new TsctrError(`${name} is a pre-defined network and cannot be created`, {
      hint: `${name} is a network mode (run --network ${name}); give the network another name`,
    });
  }
  if (!NAME.test(name)) {
    throw new TsctrError(
      `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      { hint: 'network names start with a letter or digit' },
    );
  }
}

/** The gateway: the first host address unless given, and then inside the subnet. */
function gatewayOf(subnet: string, given: string | undefined): string {
  const [first, last] = subnetRange(subnet);
  if (given === undefined) return intToIpv4(first + 1);
  const g = ipv4ToInt(given);
  if (g < first || g > last) {
    throw new TsctrError(`no matching subnet for gateway ${given}`, {
      hint: `give a gateway inside ${subnet}`,
    });
  }
  if (g === first || g === last) {
    throw new TsctrError(
      `invalid gateway ${given}: it is the network or broadcast address of ${subnet}`,
      { hint: `give a host address of ${subnet}, such as ${intToIpv4(first + 1)}` },
    );
  }
  return given;
}

/**
 * A time (ms since the epoch, with a fraction) as docker prints a network's Created: RFC 3339
 * in UTC with nanoseconds, trailing zeros dropped (Go's RFC3339Nano). A double holding today's
 * time in ms is exact to a few hundred ns, and the clock behind it gives µs: µs it is.
 */
export function rfc3339Nano(ms: number): string {
  const whole = Math.floor(ms);
  const us = Math.min(999, Math.floor((ms - whole) * 1000));
  const ns = (whole % 1000) * 1e6 + us * 1000;
  const iso = new Date(whole - (whole % 1000)).toISOString().slice(0, 19);
  const frac = String(ns).padStart(9, '0').replace(/0+$/, '');
  return `${iso}${frac ? `.${frac}` : ''}Z`;
}

/**
 * A new user network, under the networks' lock so that two `network create`s at once never get
 * one name or one subnet.
 */
export async function createNetwork(
  paths: StatePaths,
  opts: CreateNetworkOptions,
): Promise<NetworkRecord> {
  refuseName(opts.name);
  if (opts.gateway !== undefined && opts.subnet === undefined) {
    throw new TsctrError('every ip-range or gateway must have a corresponding subnet', {
      hint: 'give --subnet with --gateway',
    });
  }
  if (opts.subnet !== undefined) gatewayOf(opts.subnet, opts.gateway); // checked before waiting
  const lock = await FileLock.acquire(join(paths.root, 'networks.lock'));
  try {
    const all = listNetworks(paths);
    if (all.some((n) => n.Name === opts.name)) {
      throw new TsctrError(`network with name ${opts.name} already exists`, {
        hint: `remove it first (tsctr network rm ${opts.name}), or pick another name`,
      });
    }
    const others = [...all, defaultBridge()].flatMap((n) =>
      n.IPAM.Config.map((c) => subnetRange(c.Subnet)),
    );
    let subnet: string;
    if (opts.subnet !== undefined) {
      const range = subnetRange(opts.subnet);
      if (others.some((o) => overlaps(o, range))) {
        throw new TsctrError(
          'invalid pool request: Pool overlaps with other one on this address space',
          { hint: 'give a --subnet no other network uses (see tsctr network inspect)' },
        );
      }
      subnet = opts.subnet;
    } else {
      subnet = freeSubnet([...others, ...hostRoutes(opts.routes ?? '')]);
    }
    const rec: NetworkRecord = {
      Name: opts.name,
      Id: randomHex(32),
      Created: rfc3339Nano(performance.timeOrigin + performance.now()),
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: {},
        Config: [{ Subnet: subnet, Gateway: gatewayOf(subnet, opts.gateway) }],
      },
      Internal: !!opts.internal,
      Attachable: false,
      Ingress: false,
      Options: opts.options ?? {},
      Labels: opts.labels ?? {},
    };
    mkdirSync(dir(paths), { recursive: true, mode: 0o700 });
    const file = join(dir(paths), `${rec.Id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(rec, null, 2));
    renameSync(`${file}.tmp`, file);
    return rec;
  } finally {
    lock.release();
  }
}

/** Removes a definition, under the lock `createNetwork` takes. */
export async function removeNetworkRecord(paths: StatePaths, id: string): Promise<void> {
  const lock = await FileLock.acquire(join(paths.root, 'networks.lock'));
  try {
    rmSync(join(dir(paths), `${id}.json`), { force: true });
  } finally {
    lock.release();
  }
}
