/**
 * `network connect` and `network disconnect`: the container's record always, and for a running
 * container its interface too, through `tsctr-monitor --connect` (native/monitor/keeper.h), which
 * asks the keeper from inside the container's namespaces; the membership then lasts as long as
 * the container's monitor's.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { bridgeName, findNetwork, type NetworkRecord } from '../storage/networks.ts';
import { allocateAddress } from './endpoints.ts';
import {
  containerDirs,
  readState,
  saveContainer,
  type ContainerRecord,
} from '../storage/containers.ts';
import { allocateEndpoints, endpointFile, joinRequests, readEndpoint } from './endpoints.ts';
import { lookupContainer, noSuchContainer } from './inspect.ts';
import { holdKeeper } from './keeper.ts';
import { runConnect } from './monitor.ts';
import { isRunning } from './start.ts';

function network(paths: StatePaths, name: string): NetworkRecord {
  const rec = findNetwork(paths, name);
  if (!rec) {
    throw new TsctrError(`network ${name} not found`, { hint: 'see tsctr network ls' });
  }
  return rec;
}

/** docker's refusals for a container whose network is a mode, not user networks. */
function checkMode(c: ContainerRecord): void {
  const mode = c.hostConfig.NetworkMode;
  if (c.networks && Object.keys(c.networks).length) return;
  if (mode === 'host') {
    throw new TsctrError(
      'container cannot be disconnected from host network or connected to host network',
    );
  }
  if (mode.startsWith('container:')) {
    throw new TsctrError(
      'container sharing network namespace with another container or host cannot be connected to any other network',
    );
  }
  throw new TsctrError(
    `container cannot be connected to multiple networks with one of the networks in private (${mode}) mode`,
    {
      hint: `a container joins user networks when it is created on one: run it with --network NAME`,
    },
  );
}

/** Sends one request for a running container, from inside its namespaces. */
async function request(paths: StatePaths, c: ContainerRecord, line: string, socket: string) {
  const st = readState(paths, c.id)!;
  const t = ['version', '1', 'clone-flags', '0'];
  for (const kind of ['user', 'net']) t.push('join-ns', kind, String(st.pid), st.pidStart ?? '');
  t.push('keeper-socket', socket, 'keeper-hosts', join(containerDirs(paths, c.id).run, 'hosts'));
  t.push('keeper-join', line);
  const spec = join(containerDirs(paths, c.id).run, 'connect.spec');
  writeFileSync(spec, Buffer.from(t.map((x) => x + '\0').join('')));
  try {
    await runConnect(spec);
  } finally {
    rmSync(spec, { force: true });
  }
}

export async function connectNetwork(
  paths: StatePaths,
  networkName: string,
  container: string,
  opts: { aliases?: string[] | undefined; ip?: string | undefined },
): Promise<void> {
  const net = network(paths, networkName);
  const c = lookupContainer(paths, container);
  if (!c) throw noSuchContainer(container);
  checkMode(c);
  if (Object.values(c.networks ?? {}).some((w) => w.NetworkID === net.Id)) {
    throw new TsctrError(`endpoint with name ${c.name} already exists in network ${net.Name}`);
  }
  const cfg = net.IPAM.Config[0]!;
  if (opts.ip !== undefined) {
    allocateAddress(cfg.Subnet, cfg.Gateway, new Set(), { ip: opts.ip, required: true });
  }
  const updated: ContainerRecord = {
    ...c,
    networks: {
      ...c.networks,
      [net.Name]: {
        NetworkID: net.Id,
        Aliases: opts.aliases ?? [],
        ...(opts.ip ? { IPAMConfig: { IPv4Address: opts.ip } } : {}),
      },
    },
  };
  if (isRunning(paths, c.id)) {
    const { keeper, result } = await holdKeeper(paths, () =>
      allocateEndpoints(paths, updated, (id) => isRunning(paths, id), [net.Name]),
    );
    try {
      await request(paths, c, joinRequests(updated, result, false)[0]!, keeper.socket);
    } catch (err) {
      rmSync(endpointFile(paths, c.id, net.Id), { force: true });
      throw err;
    } finally {
      keeper.release();
    }
  }
  saveContainer(paths, updated);
}

export async function disconnectNetwork(
  paths: StatePaths,
  networkName: string,
  container: string,
): Promise<void> {
  const net = network(paths, networkName);
  const c = lookupContainer(paths, container);
  if (!c) throw noSuchContainer(container);
  const name = Object.keys(c.networks ?? {}).find((n) => c.networks![n]!.NetworkID === net.Id);
  if (name === undefined) {
    throw new TsctrError(`container ${c.id} is not connected to network ${net.Name}`);
  }
  if (isRunning(paths, c.id) && readEndpoint(paths, c.id, net.Id)) {
    const { keeper } = await holdKeeper(paths, () => undefined);
    try {
      await request(paths, c, ['LEAVE', bridgeName(net), c.id].join('\t'), keeper.socket);
    } finally {
      keeper.release();
    }
  }
  rmSync(endpointFile(paths, c.id, net.Id), { force: true });
  const networks = { ...c.networks };
  delete networks[name];
  const rest = Object.keys(networks);
  const { networks: _gone, ...withoutNetworks } = c;
  saveContainer(paths, {
    ...(rest.length ? { ...c, networks } : withoutNetworks),
    hostConfig: {
      ...c.hostConfig,
      // docker keeps NetworkMode as created; with no user network left, there is no way out.
      NetworkMode:
        c.hostConfig.NetworkMode === name ? (rest[0] ?? 'none') : c.hostConfig.NetworkMode,
    },
  });
}
