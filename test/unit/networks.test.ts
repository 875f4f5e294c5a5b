/**
 * User networks' definitions (src/storage/networks.ts), over a store of their own in a temp dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatePaths } from '../../src/config/paths.ts';
import { TsctrError } from '../../src/errors.ts';
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

describe('Created', () => {
  it('prints Created with nanoseconds, as Go prints RFC 3339', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    expect(rfc3339Nano(ms + 0.9016)).toBe('2024-01-02T03:04:05.678901Z');
    expect(rfc3339Nano(ms)).toBe('2024-01-02T03:04:05.678Z');
    expect(rfc3339Nano(Date.UTC(2024, 0, 2))).toBe('2024-01-02T00:00:00Z');
  });
});
