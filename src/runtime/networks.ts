/**
 * `network create|ls|inspect|rm|prune`: user networks' definitions (src/storage/networks.ts)
 * seen with the containers that use them, and docker's built-in networks beside them: `bridge`
 * (the default network, a real one here) and `host` and `none` (network modes here, listed as
 * docker lists them). Filters, lookups and errors are dockerd's. A network is in use while any
 * container's record names it, running or not: docker counts running ones only, since it drops a
 * stopped container's endpoint, and then lets `network rm` and `prune` take a network from under
 * a container that will not start again without it.
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { naturalCompare } from '../format/natural-sort.ts';
import { goTimeString } from '../format/units.ts';
import {
  createNetwork,
  defaultBridge,
  listNetworks,
  pickNetwork,
  removeNetworkRecord,
  type CreateNetworkOptions,
  type NetworkRecord,
} from '../storage/networks.ts';
import { readTextOr } from '../userns/read-text.ts';
import { sha256Hex } from '../native/random.ts';
import { listContainers, type ContainerRecord } from '../storage/containers.ts';
import { readEndpoint } from './endpoints.ts';
import { isRunning } from './start.ts';

/** A network as the commands show it: a user network's record, or a built-in one's. */
export type ShownNetwork = Omit<NetworkRecord, 'Driver'> & { Driver: string };

/** Key → values, as src/images/filter-args.ts parses `--filter`. */
export type NetworkFilterArgs = ReadonlyMap<string, readonly string[]>;

export function makeNetwork(
  paths: StatePaths,
  opts: Omit<CreateNetworkOptions, 'routes'>,
): Promise<NetworkRecord> {
  return createNetwork(paths, { ...opts, routes: readTextOr('/proc/net/route') });
}

/** `host` and `none`, which docker lists as networks; their ids are stable, made from the name. */
function modeNetwork(name: 'host' | 'none', driver: string): ShownNetwork {
  return {
    Name: name,
    Id: sha256Hex(`tsctr network ${name}`),
    Created: '1970-01-01T00:00:00Z',
    Scope: 'local',
    Driver: driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    Options: {},
    Labels: {},
  };
}

/** Every network: the user's, then docker's three built-in ones. */
function allNetworks(paths: StatePaths): { net: ShownNetwork; builtin: boolean }[] {
  return [
    ...listNetworks(paths).map((net: ShownNetwork) => ({ net, builtin: false })),
    ...[defaultBridge(), modeNetwork('host', 'host'), modeNetwork('none', 'null')].map(
      (net: ShownNetwork) => ({ net, builtin: true }),
    ),
  ];
}

/** The network `term` names (dockerd's findUniqueNetwork), with whether it is built in. */
function lookup(paths: StatePaths, term: string) {
  const all = allNetworks(paths);
  const net = pickNetwork(
    all.map((a) => a.net),
    term,
  );
  return net && all.find((a) => a.net === net);
}

/** The containers (running or not) whose record names the network. */
function users(containers: readonly ContainerRecord[], id: string): ContainerRecord[] {
  return containers.filter((c) => Object.values(c.networks ?? {}).some((w) => w.NetworkID === id));
}

/** filters.Args.MatchKVList: each `key` or `key=value` holds for the labels. */
function matchKV(wanted: readonly string[] | undefined, labels: Record<string, string>): boolean {
  if (!wanted?.length) return true;
  if (!Object.keys(labels).length) return false;
  return wanted.every((w) => {
    const i = w.indexOf('=');
    const key = i < 0 ? w : w.slice(0, i);
    return Object.hasOwn(labels, key) && (i < 0 || labels[key] === w.slice(i + 1));
  });
}

/** filters.Args.Match: a value equal to `text`, or a regular expression found in it. */
function matchAny(wanted: readonly string[] | undefined, text: string): boolean {
  if (!wanted?.length) return true;
  return wanted.some((w) => {
    if (w === text) return true;
    try {
      return new RegExp(w).test(text);
    } catch {
      return false; // dockerd skips a value that is not a regular expression
    }
  });
}

/** dangling=: one value, 1/true or 0/false, as dockerd reads it for networks. */
function danglingOf(f: NetworkFilterArgs): boolean | undefined {
  const values = f.get('dangling');
  if (!values?.length) return undefined;
  if (values.length > 1) {
    throw new TsctrError('got more than one value for filter key "dangling"');
  }
  if (values[0] === '1' || values[0] === 'true') return true;
  if (values[0] === '0' || values[0] === 'false') return false;
  throw new TsctrError(
    `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`,
  );
}

/** dockerd's network filter (daemon/network/filter.go); `until` is ms since the epoch. */
function networkFilter(f: NetworkFilterArgs, until?: number) {
  for (const t of f.get('type') ?? []) {
    if (t !== 'builtin' && t !== 'custom') throw new TsctrError(`invalid filter: 'type'='${t}'`);
  }
  const dangling = danglingOf(f);
  return (n: ShownNetwork, builtin: boolean, used: boolean): boolean => {
    const exact = (key: string, v: string) => !f.get(key)?.length || f.get(key)!.includes(v);
    return (
      exact('driver', n.Driver) &&
      matchAny(f.get('name'), n.Name) &&
      matchAny(f.get('id'), n.Id) &&
      matchKV(f.get('label'), n.Labels) &&
      (!f.get('label!')?.length || !matchKV(f.get('label!'), n.Labels)) &&
      exact('scope', n.Scope) &&
      // A built-in network counts as used, as docker's predefined ones do.
      (dangling === undefined || dangling === (!builtin && !used)) &&
      exact('type', builtin ? 'builtin' : 'custom') &&
      (until === undefined || Date.parse(n.Created) <= until)
    );
  };
}

/** A `network ls` row: docker's template fields (.ID .Name … and .Label "key"). */
export interface NetworkRow {
  ID: string;
  Name: string;
  Driver: string;
  Scope: string;
  IPv4: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  CreatedAt: string;
  Label: (key: string) => string;
}

/** Go's time.Time.String() of an RFC 3339 time: "2006-01-02 15:04:05.123456789 +0000 UTC". */
function goTimeNano(rfc3339: string): string {
  const frac = /\.(\d+)/.exec(rfc3339)?.[1]?.replace(/0+$/, '') ?? '';
  return goTimeString(rfc3339).replace(/ \+0000 UTC$/, `${frac ? `.${frac}` : ''} +0000 UTC`);
}

/** `network ls`: the networks the filters keep, sorted by name as docker's CLI sorts them. */
export function networkRows(
  paths: StatePaths,
  filters: NetworkFilterArgs = new Map(),
): NetworkRow[] {
  const keep = networkFilter(filters);
  const used = new Set(
    listContainers(paths).flatMap((c) => Object.values(c.networks ?? {}).map((w) => w.NetworkID)),
  );
  return allNetworks(paths)
    .filter(({ net, builtin }) => keep(net, builtin, used.has(net.Id)))
    .map(({ net }) => net)
    .sort((a, b) => naturalCompare(a.Name, b.Name))
    .map((n) => ({
      ID: n.Id,
      Name: n.Name,
      Driver: n.Driver,
      Scope: n.Scope,
      IPv4: 'true',
      IPv6: String(n.EnableIPv6),
      Internal: String(n.Internal),
      Labels: Object.entries(n.Labels)
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .join(','),
      CreatedAt: goTimeNano(n.Created),
      Label: (key: string) => n.Labels[key] ?? '',
    }));
}

function noSuchNetwork(name: string): TsctrError {
  return new TsctrError(`network ${name} not found`, { hint: 'see tsctr network ls' });
}

/** A Go map: its JSON has sorted keys, as the daemon's has. */
const goMap = (o: Record<string, unknown>) => new Map(Object.entries(o));

/**
 * docker's network inspect record (its NetworkResource). Containers: the running containers
 * attached to it now, by the endpoint their start recorded (./endpoints.ts).
 */
function inspectNetwork(paths: StatePaths, n: ShownNetwork): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const c of users(listContainers(paths), n.Id)) {
    const ep = isRunning(paths, c.id) ? readEndpoint(paths, c.id, n.Id) : undefined;
    if (!ep) continue;
    containers[c.id] = {
      Name: c.name,
      EndpointID: ep.EndpointID,
      MacAddress: ep.MacAddress,
      IPv4Address: `${ep.IPAddress}/${ep.IPPrefixLen}`,
      IPv6Address: '',
    };
  }
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: n.Scope,
    Driver: n.Driver,
    EnableIPv4: true,
    EnableIPv6: n.EnableIPv6,
    IPAM: { ...n.IPAM, Options: goMap(n.IPAM.Options) },
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: n.Ingress,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: goMap(containers),
    Options: goMap(n.Options),
    Labels: goMap(n.Labels),
  };
}

/** A network's inspect record, or undefined when nothing has that name or id (`inspect`). */
export function inspectNetworkNamed(
  paths: StatePaths,
  name: string,
): Record<string, unknown> | undefined {
  const found = lookup(paths, name);
  return found && inspectNetwork(paths, found.net);
}

/** `network inspect`: each network's record, and an error for each name that finds none. */
export function inspectNetworks(paths: StatePaths, names: readonly string[]) {
  const values: Record<string, unknown>[] = [];
  const errors: TsctrError[] = [];
  for (const name of names) {
    try {
      const found = lookup(paths, name);
      if (!found) throw noSuchNetwork(name);
      values.push(inspectNetwork(paths, found.net));
    } catch (err) {
      if (!(err instanceof TsctrError)) throw err;
      errors.push(err);
    }
  }
  return { values, errors };
}

export interface NetworkOutcome {
  input: string;
  error?: TsctrError;
}

/**
 * `network rm [-f]`: a built-in network stays, and so does one a container names. With -f a
 * missing network is no error and no output, as docker skips it.
 */
export async function removeNetworks(
  paths: StatePaths,
  inputs: readonly string[],
  force: boolean,
): Promise<NetworkOutcome[]> {
  const out: NetworkOutcome[] = [];
  for (const input of inputs) {
    try {
      const found = lookup(paths, input);
      if (!found) {
        if (force) continue;
        throw noSuchNetwork(input);
      }
      const n = found.net;
      if (found.builtin) {
        throw new TsctrError(`${n.Name} is a pre-defined network and cannot be removed`);
      }
      const by = users(listContainers(paths), n.Id);
      if (by.length) {
        // docker's words since 28.1: each endpoint by its container's name and short id (an
        // endpoint's id here begins with its container's).
        const eps = by.map((c) => `name:"${c.name}" id:"${c.id.slice(0, 12)}"`).join(', ');
        throw new TsctrError(
          `error while removing network: network ${n.Name} has active endpoints (${eps})`,
          { hint: 'remove those containers, or disconnect them (tsctr network disconnect)' },
        );
      }
      await removeNetworkRecord(paths, n.Id);
      out.push({ input });
    } catch (err) {
      if (!(err instanceof TsctrError)) throw err;
      out.push({ input, error: err });
    }
  }
  return out;
}

/**
 * `network prune`: every user network no container names, narrowed by `label`, `label!` and
 * `until` (ms since the epoch) as dockerd's prune filter narrows them. Returns their names.
 */
export async function pruneNetworks(
  paths: StatePaths,
  filters: NetworkFilterArgs = new Map(),
  until?: number,
): Promise<string[]> {
  const keep = networkFilter(filters, until);
  const containers = listContainers(paths);
  const names: string[] = [];
  const nets = listNetworks(paths).sort((a, b) => naturalCompare(a.Name, b.Name));
  for (const n of nets) {
    if (!keep(n, false, false) || users(containers, n.Id).length) continue;
    await removeNetworkRecord(paths, n.Id);
    names.push(n.Name);
  }
  return names;
}
