/**
 * `network create|ls|inspect|rm|prune`: user networks' definitions (src/netns/networks.ts) seen
 * with the containers that use them.
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import {
  BUILTIN_NETWORKS,
  createNetwork,
  findNetwork,
  listNetworks,
  removeNetworkRecord,
  type CreateNetworkOptions,
  type NetworkRecord,
} from '../storage/networks.ts';
import { readTextOr } from '../userns/read-text.ts';
import { sha256Hex } from '../native/random.ts';
import { listContainers, type ContainerRecord } from '../storage/containers.ts';
import { readEndpoint } from './endpoints.ts';
import { isRunning } from './start.ts';

export function makeNetwork(
  paths: StatePaths,
  opts: Omit<CreateNetworkOptions, 'routes'>,
): Promise<NetworkRecord> {
  return createNetwork(paths, { ...opts, routes: readTextOr('/proc/net/route') });
}

/** The containers (running or not) whose record names the network. */
function users(paths: StatePaths, net: NetworkRecord): ContainerRecord[] {
  return listContainers(paths).filter((c) =>
    Object.values(c.networks ?? {}).some((w) => w.NetworkID === net.Id),
  );
}

/** docker's two built-in rows that are modes here; their ids are stable, made from the name. */
const builtins = (): { Name: string; Id: string; Driver: string }[] =>
  [
    ['host', 'host'],
    ['none', 'null'],
  ].map(([name, driver]) => ({
    Name: name!,
    Id: sha256Hex(`tsctr network ${name}`),
    Driver: driver!,
  }));

export interface NetworkRow {
  ID: string;
  Name: string;
  Driver: string;
  Scope: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  CreatedAt: string;
}

export interface NetworkFilters {
  driver?: string[] | undefined;
  id?: string[] | undefined;
  label?: string[] | undefined;
  name?: string[] | undefined;
  scope?: string[] | undefined;
  type?: string[] | undefined;
  dangling?: boolean | undefined;
}

export function networkRows(paths: StatePaths, f: NetworkFilters = {}): NetworkRow[] {
  const used = new Set(
    listContainers(paths).flatMap((c) => Object.values(c.networks ?? {}).map((w) => w.NetworkID)),
  );
  const user = listNetworks(paths).map((n) => ({
    rec: n,
    Name: n.Name,
    Id: n.Id,
    Driver: n.Driver,
    custom: true,
  }));
  const all = [...builtins().map((b) => ({ ...b, rec: undefined, custom: false })), ...user];
  const labelled = (labels: Record<string, string>, want: string) => {
    const i = want.indexOf('=');
    return i < 0 ? want in labels : labels[want.slice(0, i)] === want.slice(i + 1);
  };
  return all
    .filter((n) => !f.driver || f.driver.includes(n.Driver))
    .filter((n) => !f.id || f.id.some((id) => n.Id.startsWith(id)))
    .filter((n) => !f.name || f.name.some((x) => n.Name.includes(x)))
    .filter(() => !f.scope || f.scope.includes('local'))
    .filter((n) => !f.label || f.label.every((l) => labelled(n.rec?.Labels ?? {}, l)))
    .filter((n) => !f.type || f.type.includes(n.custom ? 'custom' : 'builtin'))
    .filter((n) => f.dangling === undefined || (n.custom && !used.has(n.Id)) === f.dangling)
    .sort((a, b) => a.Name.localeCompare(b.Name))
    .map((n) => ({
      ID: n.Id,
      Name: n.Name,
      Driver: n.Driver,
      Scope: 'local',
      IPv6: 'false',
      Internal: String(!!n.rec?.Internal),
      Labels: Object.entries(n.rec?.Labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      CreatedAt: n.rec?.Created ?? '',
    }));
}

function noSuchNetwork(name: string): TsctrError {
  return new TsctrError(`network ${name} not found`, { hint: 'see tsctr network ls' });
}

function inspectNetwork(paths: StatePaths, n: NetworkRecord): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const c of users(paths, n)) {
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
    EnableIPv6: n.EnableIPv6,
    IPAM: n.IPAM,
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: n.Ingress,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.Options,
    Labels: n.Labels,
  };
}

/** A network's inspect record, or undefined when nothing has that name or id. */
export function inspectNetworkNamed(
  paths: StatePaths,
  name: string,
): Record<string, unknown> | undefined {
  const n = findNetwork(paths, name);
  return n && inspectNetwork(paths, n);
}

export function inspectNetworks(paths: StatePaths, names: readonly string[]) {
  const values: Record<string, unknown>[] = [];
  const errors: TsctrError[] = [];
  for (const name of names) {
    try {
      const n = findNetwork(paths, name);
      if (!n) throw noSuchNetwork(name);
      values.push(inspectNetwork(paths, n));
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

/** docker network rm [-f]: a network a container names stays. */
export async function removeNetworks(
  paths: StatePaths,
  inputs: readonly string[],
  force: boolean,
): Promise<NetworkOutcome[]> {
  const out: NetworkOutcome[] = [];
  for (const input of inputs) {
    try {
      if (BUILTIN_NETWORKS.includes(input)) {
        throw new TsctrError(`${input} is a pre-defined network and cannot be removed`);
      }
      const n = findNetwork(paths, input);
      if (!n) {
        if (force) {
          out.push({ input });
          continue;
        }
        throw noSuchNetwork(input);
      }
      const by = users(paths, n);
      if (by.length) {
        throw new TsctrError(
          `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`,
          {
            hint: `remove or disconnect its containers first: ${by.map((c) => c.name).join(', ')}`,
          },
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

/** docker network prune: every user network no container names; `labels` as its filter. */
export async function pruneNetworks(paths: StatePaths, labels?: string[]): Promise<string[]> {
  const doomed = networkRows(paths, { type: ['custom'], dangling: true, label: labels });
  const names: string[] = [];
  for (const row of doomed) {
    await removeNetworkRecord(paths, row.ID);
    names.push(row.Name);
  }
  return names;
}
