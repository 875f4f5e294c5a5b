/**
 * User networks' definitions (src/storage/networks.ts) and the `network` commands' domain calls
 * (src/runtime/networks.ts), over a store of their own in a temp dir.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatePaths } from '../../src/config/paths.ts';
import { TsctrError } from '../../src/errors.ts';
import { renderList, renderObject } from '../../src/format/index.ts';
import { naturalCompare } from '../../src/format/natural-sort.ts';
import { endpointFile } from '../../src/runtime/endpoints.ts';
import {
  inspectNetworkNamed,
  inspectNetworks,
  networkRows,
  pruneNetworks,
  removeNetworks,
} from '../../src/runtime/networks.ts';
import { saveContainer, type ContainerRecord } from '../../src/storage/containers.ts';
import {
  bridgeName,
  createNetwork,
  defaultBridge,
  findNetwork,
  freeSubnet,
  hostRoutes,
  intToIpv4,
  ipv4ToInt,
  listNetworks,
  pickNetwork,
  rfc3339Nano,
  subnetRange,
  type NetworkRecord,
} from '../../src/storage/networks.ts';

let paths: StatePaths;
beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'tsctr-networks-'));
  paths = { root, runroot: join(root, 'run') };
});
afterEach(() => rmSync(paths.root, { recursive: true, force: true }));

/** /proc/net/route with a default route and 10.89.1.0/24 on a link. */
const ROUTES = `Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT
eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
br0\t0001590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;

const subnetOf = (n: NetworkRecord) => n.IPAM.Config[0]!.Subnet;

function thrown(f: () => unknown): TsctrError {
  try {
    f();
  } catch (err) {
    if (err instanceof TsctrError) return err;
    throw err;
  }
  throw new Error('nothing thrown');
}

async function rejected(p: Promise<unknown>): Promise<TsctrError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TsctrError) return err;
    throw err;
  }
  throw new Error('nothing thrown');
}

/** A container record that names `nets`; running when `running`, with an endpoint on each. */
function container(
  id: string,
  name: string,
  nets: NetworkRecord[],
  opts: { running?: boolean; endpoint?: boolean } = {},
): ContainerRecord {
  const rec = {
    id: id.padEnd(64, '0'),
    name,
    created: new Date().toISOString(),
    networks: Object.fromEntries(nets.map((n) => [n.Name, { NetworkID: n.Id, Aliases: [] }])),
  } as unknown as ContainerRecord;
  saveContainer(paths, rec);
  const run = join(paths.runroot, 'containers', rec.id);
  mkdirSync(run, { recursive: true });
  if (opts.running) {
    // This process stands for the container's init and its monitor.
    const state = { pid: process.pid, monitorPid: process.pid, startedAt: rec.created };
    writeFileSync(join(run, 'state.json'), JSON.stringify(state));
  }
  if (opts.endpoint) {
    nets.forEach((n, i) => {
      const ep = {
        IPAddress: intToIpv4(subnetRange(subnetOf(n))[0] + 2 + i),
        IPPrefixLen: Number(subnetOf(n).split('/')[1]),
        Gateway: n.IPAM.Config[0]!.Gateway,
        MacAddress: '02:42:0a:59:00:02',
        EndpointID: `${rec.id.slice(0, 32)}${n.Id.slice(0, 32)}`,
        NetworkID: n.Id,
        Ifname: `eth${i}`,
      };
      writeFileSync(endpointFile(paths, rec.id, n.Id), JSON.stringify(ep));
    });
  }
  return rec;
}

describe('subnets', () => {
  it('checks a subnet as docker does', () => {
    expect(subnetRange('10.89.3.0/24')).toEqual([ipv4ToInt('10.89.3.0'), ipv4ToInt('10.89.3.255')]);
    expect(thrown(() => subnetRange('10.89.3.7/24')).message).toBe(
      'invalid network config:\ninvalid subnet 10.89.3.7/24: it should be 10.89.3.0/24',
    );
    expect(() => subnetRange('fd00::/64')).toThrow(
      'invalid subnet fd00::/64: IPv6 networks are not supported',
    );
    expect(() => subnetRange('10.0.0.0/31')).toThrow('between 8 and 30');
    expect(() => subnetRange('10.0.0.0')).toThrow('want an IPv4 CIDR');
    expect(() => subnetRange('10..0.0/24')).toThrow('want an IPv4 CIDR');
    expect(() => subnetRange('10.0.0.256/24')).toThrow('invalid IPv4 address');
  });

  it('reads IPv4 addresses strictly', () => {
    expect(ipv4ToInt('10.89.0.1')).toBe(0x0a590001);
    for (const bad of ['10.89..1', '10.89.0', '10.89.0.1.2', ' 10.89.0.1', '10.89.0.x']) {
      expect(() => ipv4ToInt(bad)).toThrow(`invalid IPv4 address: ${bad}`);
    }
  });

  it('picks the first 10.89.N.0/24 that no network and no host route covers', () => {
    // /proc/net/route: default via eth0, 10.89.0.0/24 and 10.89.1.0/25 on links.
    const routes = `Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT
eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
br0\t0000590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
br1\t0001590A\t00000000\t0001\t0\t0\t0\t80FFFFFF\t0\t0\t0
`;
    const taken = hostRoutes(routes);
    expect(taken.map(([a, b]) => `${intToIpv4(a)}-${intToIpv4(b)}`)).toEqual([
      '10.89.0.0-10.89.0.255',
      '10.89.1.0-10.89.1.127',
    ]);
    expect(freeSubnet(taken)).toBe('10.89.2.0/24');
    expect(freeSubnet([...taken, subnetRange('10.89.2.0/23')])).toBe('10.89.4.0/24');
    expect(freeSubnet([])).toBe('10.89.0.0/24');
    expect(() => freeSubnet([subnetRange('10.89.0.0/16')])).toThrow(
      'no free subnet left in 10.89.0.0/16',
    );
  });
});

describe('network create', () => {
  it('writes a record docker would print, on the first free subnet', async () => {
    const net = await createNetwork(paths, {
      name: 'appnet',
      routes: ROUTES,
      labels: { team: 'a' },
      options: { 'com.docker.network.driver.mtu': '1400' },
      internal: true,
    });
    expect(net).toMatchObject({
      Name: 'appnet',
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: {},
        Config: [{ Subnet: '10.89.0.0/24', Gateway: '10.89.0.1' }],
      },
      Internal: true,
      Attachable: false,
      Ingress: false,
      Options: { 'com.docker.network.driver.mtu': '1400' },
      Labels: { team: 'a' },
    });
    expect(net.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(net.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    expect(Math.abs(Date.parse(net.Created) - Date.now())).toBeLessThan(60_000);
    expect(bridgeName(net)).toBe(`br-${net.Id.slice(0, 12)}`);
    expect(bridgeName(net)).toHaveLength(15);
    const file = join(paths.root, 'networks', `${net.Id}.json`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(net);
    expect(listNetworks(paths)).toEqual([net]);

    // 10.89.0.0/24 is appnet's and the host routes 10.89.1.0/24: the next is 10.89.2.0/24.
    const next = await createNetwork(paths, { name: 'next', routes: ROUTES });
    expect(next.IPAM.Config).toEqual([{ Subnet: '10.89.2.0/24', Gateway: '10.89.2.1' }]);
  });

  it('keeps a subnet and gateway given, and refuses what docker refuses', async () => {
    const net = await createNetwork(paths, {
      name: 'fixed',
      subnet: '172.30.0.0/16',
      gateway: '172.30.5.254',
    });
    expect(net.IPAM.Config).toEqual([{ Subnet: '172.30.0.0/16', Gateway: '172.30.5.254' }]);
    const refusals: [Parameters<typeof createNetwork>[1], string][] = [
      [{ name: 'fixed' }, 'network with name fixed already exists'],
      [
        { name: 'b', subnet: '172.30.8.0/24' },
        'invalid pool request: Pool overlaps with other one on this address space',
      ],
      // docker's default network, built in here, holds 10.88.0.0/16.
      [
        { name: 'b', subnet: '10.0.0.0/8' },
        'invalid pool request: Pool overlaps with other one on this address space',
      ],
      [
        { name: 'b', subnet: '10.1.2.3/24' },
        'invalid network config:\ninvalid subnet 10.1.2.3/24: it should be 10.1.2.0/24',
      ],
      [
        { name: 'b', subnet: '10.1.2.0/24', gateway: '10.1.3.1' },
        'no matching subnet for gateway 10.1.3.1',
      ],
      [
        { name: 'b', subnet: '10.1.2.0/24', gateway: '10.1.2.255' },
        'invalid gateway 10.1.2.255: it is the network or broadcast address of 10.1.2.0/24',
      ],
      [
        { name: 'b', gateway: '10.1.2.1' },
        'every ip-range or gateway must have a corresponding subnet',
      ],
      [
        { name: 'b', subnet: 'fd00::/64' },
        'invalid subnet fd00::/64: IPv6 networks are not supported',
      ],
      [{ name: 'host' }, 'operation is not permitted on predefined host network'],
      [{ name: 'bridge' }, 'operation is not permitted on predefined bridge network'],
      [{ name: 'none' }, 'operation is not permitted on predefined none network'],
      [{ name: 'default' }, 'operation is not permitted on predefined default network'],
      [{ name: 'pasta' }, 'pasta is a pre-defined network and cannot be created'],
      [{ name: 'slirp4netns' }, 'slirp4netns is a pre-defined network and cannot be created'],
      [{ name: 'container:web' }, 'container:web is a pre-defined network and cannot be created'],
      [{ name: '-x' }, 'invalid network name "-x": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'],
      [{ name: 'a b' }, 'invalid network name "a b"'],
    ];
    for (const [opts, message] of refusals) {
      const err = await rejected(createNetwork(paths, opts));
      expect(err.message).toContain(message);
      expect(err.exitCode).toBe(125);
    }
    expect(listNetworks(paths).map((n) => n.Name)).toEqual(['fixed']);
  });

  it('gives concurrent creates distinct subnets, and a name to one of them only', async () => {
    // Separate processes, each released at the same moment: the networks' lock is all that
    // keeps two of them from reading the same list and writing the same subnet or name.
    const script = `
      const { createNetwork } = await import(${JSON.stringify(
        join(import.meta.dirname, '../../src/storage/networks.ts'),
      )});
      const [root, name, at] = process.argv.slice(1);
      while (Date.now() < Number(at));
      try {
        const n = await createNetwork({ root, runroot: root + '/run' }, { name, routes: '' });
        console.log(JSON.stringify({ subnet: n.IPAM.Config[0].Subnet }));
      } catch (err) {
        console.log(JSON.stringify({ error: err.message }));
      }`;
    const run = (name: string, at: number) =>
      new Promise<{ subnet?: string; error?: string }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--input-type=module', '-e', script, paths.root, name, String(at)],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('close', () => {
          try {
            resolve(JSON.parse(out) as { subnet?: string; error?: string });
          } catch (err) {
            reject(new Error(`child said ${JSON.stringify(out)}: ${String(err)}`));
          }
        });
      });
    const at = Date.now() + 1500;
    const results = await Promise.all([
      ...['a', 'b', 'c', 'd'].map((n) => run(n, at)),
      ...[1, 2, 3, 4].map(() => run('same', at)),
    ]);
    const distinct = results.slice(0, 4);
    expect(distinct.every((r) => r.subnet)).toBe(true);
    expect(new Set(distinct.map((r) => r.subnet)).size).toBe(4);
    const same = results.slice(4);
    expect(same.filter((r) => r.subnet)).toHaveLength(1);
    expect(same.filter((r) => r.error === 'network with name same already exists')).toHaveLength(3);
    const subnets = listNetworks(paths).map(subnetOf);
    expect(subnets).toHaveLength(5);
    expect(new Set(subnets).size).toBe(5);
  }, 30_000);
});

describe('finding a network', () => {
  it("follows dockerd's order: full id, then name, then a unique id prefix", () => {
    const a = { Name: 'web', Id: `abc1${'0'.repeat(60)}` };
    const b = { Name: a.Id, Id: `abc2${'0'.repeat(60)}` };
    const c = { Name: 'abc2', Id: `ffff${'0'.repeat(60)}` };
    const all = [b, c, a];
    expect(pickNetwork(all, a.Id)).toBe(a); // the id, although b is named so
    expect(pickNetwork(all, 'abc2')).toBe(c); // the name, although it is b's id prefix
    expect(pickNetwork(all, 'abc1')).toBe(a);
    expect(pickNetwork(all, 'ff')).toBe(c);
    expect(pickNetwork(all, 'nope')).toBeUndefined();
    expect(pickNetwork(all, '')).toBeUndefined();
    const err = thrown(() => pickNetwork(all, 'abc'));
    expect(err.message).toBe('network abc is ambiguous (2 matches found based on ID prefix)');
  });

  it('finds user networks and the default one, by name, id or prefix', async () => {
    const net = await createNetwork(paths, { name: 'appnet', routes: '' });
    expect(findNetwork(paths, 'appnet')).toEqual(net);
    expect(findNetwork(paths, net.Id)).toEqual(net);
    expect(findNetwork(paths, net.Id.slice(0, 5))).toEqual(net);
    expect(findNetwork(paths, 'bridge')).toEqual(defaultBridge());
    expect(findNetwork(paths, 'default')).toEqual(defaultBridge());
    expect(findNetwork(paths, 'nosuch')).toBeUndefined();
  });
});

describe('network ls', () => {
  const names = (f: [string, string[]][] = []) => networkRows(paths, new Map(f)).map((r) => r.Name);

  it("lists user networks and docker's built-in ones, sorted as docker's CLI sorts", async () => {
    for (const name of ['net10', 'net2', 'Net1', 'app']) {
      await createNetwork(paths, { name, routes: '' });
    }
    expect(names()).toEqual(['Net1', 'app', 'bridge', 'host', 'net2', 'net10', 'none']);
    const rows = networkRows(paths);
    expect(rows.find((r) => r.Name === 'host')).toMatchObject({ Driver: 'host', Scope: 'local' });
    expect(rows.find((r) => r.Name === 'none')).toMatchObject({ Driver: 'null', Scope: 'local' });
    const bridge = rows.find((r) => r.Name === 'bridge')!;
    expect(bridge.ID).toBe(defaultBridge().Id);
    // The built-in ids stay the same from one run to the next.
    expect(networkRows(paths).find((r) => r.Name === 'host')!.ID).toBe(
      rows.find((r) => r.Name === 'host')!.ID,
    );
  });

  it('gives the fields of docker templates, .Label "key" included', async () => {
    const net = await createNetwork(paths, {
      name: 'labelled',
      routes: '',
      labels: { z: '1', a: 'x=y' },
      internal: true,
    });
    const row = networkRows(paths).find((r) => r.Name === 'labelled')!;
    expect(row).toMatchObject({
      ID: net.Id,
      Driver: 'bridge',
      Scope: 'local',
      IPv4: 'true',
      IPv6: 'false',
      Internal: 'true',
      Labels: 'a=x=y,z=1',
    });
    expect(row.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC$/);
    const text = renderList([row], {
      format: '{{.Name}} {{.Label "z"}} [{{.Label "nope"}}]',
      defaultFormat: '',
      headers: {},
    });
    expect(text).toBe('labelled 1 []\n');
    const json = JSON.parse(renderList([row], { format: 'json', defaultFormat: '', headers: {} }));
    expect(Object.keys(json)).toEqual([
      'CreatedAt',
      'Driver',
      'ID',
      'IPv4',
      'IPv6',
      'Internal',
      'Labels',
      'Name',
      'Scope',
    ]);
  });

  it('filters as dockerd does: driver, id, label, name, scope, type, dangling', async () => {
    const a = await createNetwork(paths, { name: 'app-a', routes: '', labels: { team: 'a' } });
    await createNetwork(paths, { name: 'app-b', routes: '', labels: { team: 'b', tier: '1' } });
    await createNetwork(paths, { name: 'db', routes: '' });
    container('c1', 'web', [a]); // stopped, but it names app-a
    expect(names([['driver', ['null', 'host']]])).toEqual(['host', 'none']);
    expect(names([['type', ['custom']]])).toEqual(['app-a', 'app-b', 'db']);
    expect(names([['type', ['builtin']]])).toEqual(['bridge', 'host', 'none']);
    expect(names([['name', ['^app']]])).toEqual(['app-a', 'app-b']);
    expect(names([['name', ['b']]])).toEqual(['app-b', 'bridge', 'db']);
    expect(names([['id', [a.Id.slice(0, 6)]]])).toEqual(['app-a']);
    expect(names([['label', ['team']]])).toEqual(['app-a', 'app-b']);
    expect(names([['label', ['team=b', 'tier']]])).toEqual(['app-b']);
    expect(names([['scope', ['local']]])).toHaveLength(6);
    expect(names([['scope', ['swarm']]])).toEqual([]);
    expect(names([['dangling', ['true']]])).toEqual(['app-b', 'db']);
    expect(names([['dangling', ['0']]])).toEqual(['app-a', 'bridge', 'host', 'none']);
    expect(
      names([
        ['type', ['custom']],
        ['dangling', ['false']],
      ]),
    ).toEqual(['app-a']);
    expect(() => names([['type', ['mine']]])).toThrow("invalid filter: 'type'='mine'");
    expect(() => names([['dangling', ['maybe']]])).toThrow(
      `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`,
    );
    expect(() => names([['dangling', ['true', 'false']]])).toThrow(
      'got more than one value for filter key "dangling"',
    );
  });

  it('sorts numbers by value, digits first, as sortorder.NaturalLess', () => {
    const sorted = ['b10', 'b9', 'a', 'b09', 'b', '10', '9', 'B', 'b9x', 'b_'].sort(naturalCompare);
    expect(sorted).toEqual(['9', '10', 'B', 'a', 'b', 'b9', 'b9x', 'b09', 'b10', 'b_']);
  });

  it('prints Created with nanoseconds, as Go prints RFC 3339', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    expect(rfc3339Nano(ms + 0.9016)).toBe('2024-01-02T03:04:05.678901Z');
    expect(rfc3339Nano(ms)).toBe('2024-01-02T03:04:05.678Z');
    expect(rfc3339Nano(Date.UTC(2024, 0, 2))).toBe('2024-01-02T00:00:00Z');
  });
});

describe('network inspect', () => {
  it("prints docker's NetworkResource, with the running containers attached now", async () => {
    const net = await createNetwork(paths, {
      name: 'appnet',
      routes: '',
      labels: { b: '2', a: '1' },
    });
    const up = container('a1', 'web', [net], { running: true, endpoint: true });
    container('b2', 'stopped', [net], { endpoint: true }); // its endpoint file is stale
    container('c3', 'starting', [net], { running: true }); // not attached yet
    const { values, errors } = inspectNetworks(paths, ['appnet']);
    expect(errors).toEqual([]);
    const got = values[0]!;
    expect(Object.keys(got)).toEqual([
      'Name',
      'Id',
      'Created',
      'Scope',
      'Driver',
      'EnableIPv4',
      'EnableIPv6',
      'IPAM',
      'Internal',
      'Attachable',
      'Ingress',
      'ConfigFrom',
      'ConfigOnly',
      'Containers',
      'Options',
      'Labels',
    ]);
    expect(got).toMatchObject({
      Name: 'appnet',
      Id: net.Id,
      Created: net.Created,
      EnableIPv4: true,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
    });
    // Go maps: their JSON has sorted keys, as the daemon's.
    expect(renderObject([got], '{{json .Labels}}')).toBe('{"a":"1","b":"2"}\n');
    expect(Object.fromEntries(got.Containers as Map<string, unknown>)).toEqual({
      [up.id]: {
        Name: 'web',
        EndpointID: `${up.id.slice(0, 32)}${net.Id.slice(0, 32)}`,
        MacAddress: '02:42:0a:59:00:02',
        IPv4Address: '10.89.0.2/24',
        IPv6Address: '',
      },
    });
  });

  it('says which names find nothing, and inspects the built-in networks too', async () => {
    const { values, errors } = inspectNetworks(paths, ['nosuch', 'host', 'bridge', 'default']);
    expect(values.map((v) => [v.Name, v.Driver])).toEqual([
      ['host', 'host'],
      ['bridge', 'bridge'],
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'network nosuch not found',
      'network default not found',
    ]);
    expect(inspectNetworkNamed(paths, 'none')).toMatchObject({
      Driver: 'null',
      Containers: new Map(),
    });
    expect(inspectNetworkNamed(paths, 'nosuch')).toBeUndefined();
  });
});

describe('network rm', () => {
  it('removes what no container names, refuses the rest, and reports each', async () => {
    const used = await createNetwork(paths, { name: 'used', routes: '' });
    const free = await createNetwork(paths, { name: 'free', routes: '' });
    const web = container('a1', 'web', [used]); // not running: it still names the network
    const out = await removeNetworks(
      paths,
      ['used', free.Id.slice(0, 12), 'nosuch', 'host', 'bridge', 'pasta'],
      false,
    );
    expect(out.map((o) => [o.input, o.error?.message])).toEqual([
      [
        'used',
        `error while removing network: network used has active endpoints (name:"web" id:"${web.id.slice(0, 12)}")`,
      ],
      [free.Id.slice(0, 12), undefined],
      ['nosuch', 'network nosuch not found'],
      ['host', 'host is a pre-defined network and cannot be removed'],
      ['bridge', 'bridge is a pre-defined network and cannot be removed'],
      ['pasta', 'network pasta not found'],
    ]);
    expect(existsSync(join(paths.root, 'networks', `${free.Id}.json`))).toBe(false);
    expect(listNetworks(paths).map((n) => n.Name)).toEqual(['used']);
  });

  it('says nothing of a missing network with -f', async () => {
    await createNetwork(paths, { name: 'gone', routes: '' });
    expect(await removeNetworks(paths, ['nosuch', 'gone'], true)).toEqual([{ input: 'gone' }]);
  });

  it('refuses an ambiguous id prefix', async () => {
    const nets: NetworkRecord[] = [];
    while (nets.length < 40)
      nets.push(await createNetwork(paths, { name: `n${nets.length}`, routes: '' }));
    // Among 40 random ids, two share their first hex digit.
    const digit = [...'0123456789abcdef'].find(
      (d) => nets.filter((n) => n.Id.startsWith(d)).length > 1,
    )!;
    const [out] = await removeNetworks(paths, [digit], false);
    expect(out!.error?.message).toMatch(
      new RegExp(`^network ${digit} is ambiguous \\(\\d+ matches found based on ID prefix\\)$`),
    );
    expect(listNetworks(paths)).toHaveLength(40);
  });
});

describe('network prune', () => {
  it('removes the user networks no container names, narrowed by label, label! and until', async () => {
    const used = await createNetwork(paths, { name: 'used', routes: '' });
    await createNetwork(paths, { name: 'keep', routes: '', labels: { keep: 'yes' } });
    await createNetwork(paths, { name: 'team-a', routes: '', labels: { team: 'a' } });
    await createNetwork(paths, { name: 'plain', routes: '' });
    container('a1', 'web', [used]);
    // Nothing was created an hour ago.
    expect(await pruneNetworks(paths, new Map(), Date.now() - 3_600_000)).toEqual([]);
    expect(await pruneNetworks(paths, new Map([['label', ['team=a']]]))).toEqual(['team-a']);
    expect(await pruneNetworks(paths, new Map([['label!', ['keep']]]))).toEqual(['plain']);
    expect(await pruneNetworks(paths, new Map(), Date.now() + 1000)).toEqual(['keep']);
    expect(listNetworks(paths).map((n) => n.Name)).toEqual(['used']);
    expect(await pruneNetworks(paths)).toEqual([]);
  });
});
