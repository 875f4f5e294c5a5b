/**
 * A container's endpoints on user networks: the address each start allocates (under the keeper's
 * lock, ./keeper.ts), kept while it runs in its run dir as `network-<id12>.json`, which inspect
 * and `network inspect` read; and the JOIN requests its monitor sends the keeper.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import {
  bridgeName,
  findNetwork,
  intToIpv4,
  ipv4ToInt,
  isDefaultBridge,
  parseSubnet,
  type NetworkRecord,
} from '../storage/networks.ts';
import { joinLine, macFor, vethName } from '../netns/user-networks.ts';
import { containerDirs, type ContainerRecord } from '../storage/containers.ts';

export interface Endpoint {
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  EndpointID: string;
  NetworkID: string;
  /** The interface in the container: eth0, eth1, … in the order it joined. */
  Ifname: string;
}

export const endpointFile = (paths: StatePaths, id: string, networkId: string) =>
  join(containerDirs(paths, id).run, `network-${networkId.slice(0, 12)}.json`);

export function readEndpoint(
  paths: StatePaths,
  id: string,
  networkId: string,
): Endpoint | undefined {
  try {
    return JSON.parse(readFileSync(endpointFile(paths, id, networkId), 'utf8')) as Endpoint;
  } catch {
    return undefined;
  }
}

/** The addresses running containers (other than `self`) hold on a network. */
function usedAddresses(
  paths: StatePaths,
  networkId: string,
  self: string,
  running: (id: string) => boolean,
): Set<string> {
  const used = new Set<string>();
  let ids: string[];
  try {
    ids = readdirSync(join(paths.runroot, 'containers'));
  } catch {
    return used;
  }
  for (const id of ids) {
    if (id === self) continue;
    const ep = readEndpoint(paths, id, networkId);
    if (ep && running(id)) used.add(ep.IPAddress);
  }
  return used;
}

/**
 * A container's address on a network: `wanted` (--ip, or the one it had last time) when it is
 * free, else the lowest free host address that is not the gateway's.
 */
export function allocateAddress(
  subnet: string,
  gateway: string,
  used: ReadonlySet<string>,
  wanted?: { ip: string; required: boolean },
): string {
  const { base, prefix } = parseSubnet(subnet);
  const size = 2 ** (32 - prefix);
  const inside = (ip: string) => {
    const n = ipv4ToInt(ip);
    return n > base && n < base + size - 1;
  };
  if (wanted) {
    const ok = inside(wanted.ip) && wanted.ip !== gateway && !used.has(wanted.ip);
    if (ok) return wanted.ip;
    if (wanted.required) {
      throw new TsctrError(
        inside(wanted.ip)
          ? `Address already in use: ${wanted.ip}`
          : `no configured subnet contains IP address ${wanted.ip}`,
        { hint: `give a free address inside ${subnet}, or leave --ip out` },
      );
    }
  }
  for (let n = base + 1; n < base + size - 1; n++) {
    const ip = intToIpv4(n);
    if (ip !== gateway && !used.has(ip)) return ip;
  }
  throw new TsctrError(`no free address left in ${subnet}`, {
    hint: 'remove containers from the network, or create a network with a larger --subnet',
  });
}

export interface Attachment {
  network: NetworkRecord;
  endpoint: Endpoint;
  aliases: string[];
}

/**
 * Allocates the container's address on each of its networks, or on `only` those (the one it had
 * last time when still free, --ip when given) and records it. Runs under the keeper's lock.
 * Interfaces are numbered from eth0 at a start; one joined later (`network connect`) takes the
 * first number its running container does not use.
 */
export function allocateEndpoints(
  paths: StatePaths,
  c: ContainerRecord,
  running: (id: string) => boolean,
  only?: string[],
): Attachment[] {
  const taken = new Set(
    only
      ? Object.values(c.networks ?? {}).flatMap((w) => {
          const ep = readEndpoint(paths, c.id, w.NetworkID);
          return ep ? [ep.Ifname] : [];
        })
      : [],
  );
  const nextIfname = () => {
    let i = 0;
    while (taken.has(`eth${i}`)) i++;
    taken.add(`eth${i}`);
    return `eth${i}`;
  };
  const entries = Object.entries(c.networks ?? {}).filter(([n]) => !only || only.includes(n));
  return entries.map(([name, want]) => {
    const network = findNetwork(paths, want.NetworkID) ?? findNetwork(paths, name);
    if (!network) {
      throw new TsctrError(`network ${name} not found`, {
        hint: `create it again (tsctr network create ${name}), or disconnect the container from it`,
      });
    }
    const cfg = network.IPAM.Config[0]!;
    const before = readEndpoint(paths, c.id, network.Id);
    const wanted = want.IPAMConfig?.IPv4Address
      ? { ip: want.IPAMConfig.IPv4Address, required: true }
      : before
        ? { ip: before.IPAddress, required: false }
        : undefined;
    const ip = allocateAddress(
      cfg.Subnet,
      cfg.Gateway,
      usedAddresses(paths, network.Id, c.id, running),
      wanted,
    );
    const endpoint: Endpoint = {
      IPAddress: ip,
      IPPrefixLen: parseSubnet(cfg.Subnet).prefix,
      Gateway: cfg.Gateway,
      MacAddress: macFor(ip),
      EndpointID: `${c.id.slice(0, 32)}${network.Id.slice(0, 32)}`,
      NetworkID: network.Id,
      Ifname: nextIfname(),
    };
    writeFileSync(endpointFile(paths, c.id, network.Id), JSON.stringify(endpoint));
    return { network, endpoint, aliases: want.Aliases };
  });
}

/**
 * The JOIN request of each attachment; at a start (`routed`) the default route goes through the
 * first with a way out.
 */
export function joinRequests(
  c: ContainerRecord,
  attachments: Attachment[],
  routed = true,
): string[] {
  const route = routed ? attachments.findIndex((a) => !a.network.Internal) : -1;
  return attachments.map((a, i) =>
    joinLine({
      bridge: bridgeName(a.network),
      gateway: a.endpoint.Gateway,
      prefix: a.endpoint.IPPrefixLen,
      ip: a.endpoint.IPAddress,
      ifname: a.endpoint.Ifname,
      veth: vethName(c.id, Number(a.endpoint.Ifname.slice(3))),
      route: i === route,
      id: c.id,
      mac: a.endpoint.MacAddress,
      // docker's default bridge resolves no names (only --link gives some).
      names: isDefaultBridge(a.network)
        ? []
        : [...new Set([c.name, c.id.slice(0, 12), ...a.aliases])],
    }),
  );
}
