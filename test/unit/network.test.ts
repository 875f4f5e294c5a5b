import { describe, expect, it } from 'vitest';
import { TsctrError } from '../../src/errors.ts';
import {
  containerResolvConf,
  defaultGateway,
  extraHosts,
  hostAddress,
  hostLoopbackAllowed,
  hostNames,
} from '../../src/netns/dns.ts';
import { isNetworkMode, planNetwork } from '../../src/netns/index.ts';
import { netBytes, parseNetDev } from '../../src/netns/counters.ts';
import {
  HOST_PROXY_PORT,
  joinLine,
  macFor,
  natCommands,
  vethName,
} from '../../src/netns/user-networks.ts';
import { intToIpv4, ipv4ToInt, parseSubnet } from '../../src/storage/networks.ts';
import { allocateAddress } from '../../src/runtime/endpoints.ts';
import { networkChoice } from '../../src/system/info.ts';
import { pastaArgs } from '../../src/netns/pasta.ts';
import { slirpArgs, slirpRequests } from '../../src/netns/slirp.ts';
import {
  checkHostPorts,
  displayPorts,
  parseExpose,
  parsePublish,
  portBindings,
  portLines,
  publishAll,
  type PortMapping,
} from '../../src/netns/ports.ts';

const tcp = (hostPort: number, containerPort: number, hostIp = ''): PortMapping => ({
  hostIp,
  hostPort,
  containerPort,
  proto: 'tcp',
});

describe('-p as the docker CLI reads it', () => {
  it.each([
    ['80', [{ hostIp: '', hostPort: 0, containerPort: 80, proto: 'tcp' }]],
    ['8080:80', [tcp(8080, 80)]],
    ['127.0.0.1:8080:80', [tcp(8080, 80, '127.0.0.1')]],
    ['127.0.0.1::80', [tcp(0, 80, '127.0.0.1')]],
    ['0.0.0.0:8080:80', [tcp(8080, 80)]],
    ['[::1]:8080:80', [tcp(8080, 80, '::1')]],
    ['5353:53/udp', [{ hostIp: '', hostPort: 5353, containerPort: 53, proto: 'udp' }]],
    ['8080:80/TCP', [tcp(8080, 80)]],
    ['8000-8002:9000-9002', [tcp(8000, 9000), tcp(8001, 9001), tcp(8002, 9002)]],
    ['8000-8002:80', [tcp(8000, 80)]],
  ])('%s', (spec, want) => {
    expect(parsePublish(spec)).toEqual(want);
  });

  it.each([
    ['8080:80/sctp', 'unsupported protocol sctp'],
    ['a:b:c:d', 'too many colons'],
    ['8080:', 'no container port'],
    ['70000:80', 'invalid host port: 70000'],
    ['8080:0', 'invalid container port: 0'],
    ['8000-8002:9000-9001', 'port ranges do not have the same size'],
    ['999.1.1.x:80:80', 'invalid IP address: 999.1.1.x'],
  ])('refuses %s', (spec, why) => {
    let err: unknown;
    try {
      parsePublish(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TsctrError);
    expect((err as TsctrError).message).toBe(
      `invalid argument "${spec}" for "-p, --publish" flag: ${why}`,
    );
    expect((err as TsctrError).exitCode).toBe(125);
  });

  it('keeps PortBindings as docker does, "" for a port to be chosen', () => {
    expect(
      portBindings([...parsePublish('8080:80'), ...parsePublish('127.0.0.1::53/udp')]),
    ).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
  });
});

describe('PORTS and port, as docker prints them', () => {
  it('prints each mapping, consecutive ports as a range, TCP before UDP', () => {
    expect(displayPorts([tcp(8080, 80)])).toBe('0.0.0.0:8080->80/tcp');
    expect(
      displayPorts([
        { hostIp: '', hostPort: 5353, containerPort: 53, proto: 'udp' },
        tcp(8002, 9002),
        tcp(8000, 9000),
        tcp(8001, 9001),
        tcp(9443, 443, '127.0.0.1'),
      ]),
    ).toBe('0.0.0.0:8000-8002->9000-9002/tcp, 127.0.0.1:9443->443/tcp, 0.0.0.0:5353->53/udp');
    expect(displayPorts([], ['80/tcp'])).toBe('80/tcp');
    expect(displayPorts([tcp(8080, 80)], ['80/tcp', '443/tcp'])).toBe(
      '0.0.0.0:8080->80/tcp, 443/tcp',
    );
  });

  it('lists every port, or one port, and says when one is not published', () => {
    const ports = [tcp(8080, 80), tcp(9443, 443, '127.0.0.1')];
    expect(portLines(ports, 'web')).toEqual([
      '80/tcp -> 0.0.0.0:8080',
      '443/tcp -> 127.0.0.1:9443',
    ]);
    expect(portLines(ports, 'web', '443')).toEqual(['127.0.0.1:9443']);
    expect(portLines(ports, 'web', '80/tcp')).toEqual(['0.0.0.0:8080']);
    expect(() => portLines(ports, 'web', '81')).toThrow(
      "No public port '81/tcp' published for web",
    );
    expect(() => portLines(ports, 'web', '80/udp')).toThrow(
      "No public port '80/udp' published for web",
    );
  });
});

describe('network modes and pasta', () => {
  it('gives none by default, pasta when ports are published, and refuses the rest', () => {
    expect(planNetwork(undefined)).toEqual({ mode: 'none', ownNetns: true });
    expect(planNetwork(undefined, true)).toEqual({
      mode: 'pasta',
      ownNetns: true,
      helper: 'pasta',
    });
    expect(planNetwork('host')).toEqual({ mode: 'host', ownNetns: false });
    expect(() => planNetwork('none', true)).toThrow(
      'conflicting options: port publishing and the network mode "none"',
    );
    expect(() => planNetwork('bridge0')).toThrow('network mode "bridge0" is not supported yet');
  });

  it('forwards exactly the published ports, in both protocols', () => {
    const args = pastaArgs({
      ports: [tcp(8080, 80), tcp(9443, 443, '127.0.0.1')],
      pidFile: '/run/x/pasta.pid',
    });
    expect(args).toEqual([
      '--config-net',
      '--quiet',
      '--foreground',
      '--runas',
      '0',
      '--netns',
      '/proc/self/fd/3',
      '--pid',
      '/run/x/pasta.pid',
      '-t',
      '8080:80',
      '-t',
      '127.0.0.1/9443:443',
      '-u',
      'none',
      '-T',
      'none',
      '-U',
      'none',
      '--dns-forward',
      '169.254.1.1',
    ]);
  });

  it('refuses host ports below ip_unprivileged_port_start, with the fix', () => {
    expect(() => checkHostPorts([tcp(80, 80)], () => '1024\n')).toThrow(
      'cannot publish port 80: it is below net.ipv4.ip_unprivileged_port_start (1024), which only root may bind',
    );
    expect(() => checkHostPorts([tcp(80, 80)], () => '80\n')).not.toThrow();
    expect(() => checkHostPorts([tcp(8080, 80), tcp(0, 80)], () => '1024')).not.toThrow();
  });
});

describe("a container's resolv.conf and hosts", () => {
  it("copies the host's resolvers, search and options, without loopback ones", () => {
    expect(
      containerResolvConf(
        'nameserver 10.0.0.2\nnameserver 127.0.0.1\nsearch corp.example\noptions ndots:2\n',
        '',
      ),
    ).toBe('nameserver 10.0.0.2\nsearch corp.example\noptions ndots:2\n');
  });

  it("follows systemd-resolved's stub to its real servers", () => {
    expect(
      containerResolvConf(
        'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n',
        'nameserver 192.168.1.1\nnameserver fe80::1\nsearch lan\n',
      ),
    ).toBe('nameserver 192.168.1.1\nnameserver fe80::1\nsearch lan\noptions edns0 trust-ad\n');
  });

  it("asks pasta's forwarder when the host has only loopback resolvers, or none", () => {
    expect(containerResolvConf('nameserver 127.0.0.1\n', '')).toBe('nameserver 169.254.1.1\n');
    expect(containerResolvConf('', '')).toBe('nameserver 169.254.1.1\n');
  });

  it('names the host by the default gateway pasta copies', () => {
    const route =
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n' +
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n' +
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n';
    expect(defaultGateway(route)).toBe('192.0.2.1');
    expect(defaultGateway(route.split('\n').slice(0, 2).join('\n'))).toBeUndefined();
    expect(hostNames('192.0.2.1')).toBe(
      '192.0.2.1\thost.containers.internal host.docker.internal\n',
    );
    expect(hostNames(undefined)).toBe('');
  });
});

describe('slirp4netns, where pasta is missing', () => {
  it('is the choice for -p without pasta, and can be asked for', () => {
    expect(planNetwork(undefined, true, () => false)).toEqual({
      mode: 'slirp4netns',
      ownNetns: true,
      helper: 'slirp4netns',
    });
    expect(planNetwork('slirp4netns')).toEqual({
      mode: 'slirp4netns',
      ownNetns: true,
      helper: 'slirp4netns',
    });
  });

  it('is told to be ready on fd 4, to exit on fd 5, and gets one add_hostfwd a port', () => {
    expect(slirpArgs()).toEqual([
      '--configure',
      '--mtu=65520',
      '--netns-type=path',
      '--ready-fd=4',
      '--exit-fd=5',
      '--api-socket',
      'slirp.sock',
      '/proc/self/fd/3',
      'tap0',
    ]);
    expect(
      slirpRequests([
        tcp(8080, 80),
        { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, proto: 'udp' },
      ]).map((r) => JSON.parse(r)),
    ).toEqual([
      {
        execute: 'add_hostfwd',
        arguments: { proto: 'tcp', host_addr: '0.0.0.0', host_port: 8080, guest_port: 80 },
      },
      {
        execute: 'add_hostfwd',
        arguments: { proto: 'udp', host_addr: '127.0.0.1', host_port: 5353, guest_port: 53 },
      },
    ]);
  });

  it("names slirp4netns's own resolver, keeping search and options", () => {
    expect(containerResolvConf('nameserver 10.0.0.2\nsearch lan\n', '', '10.0.2.3')).toBe(
      'nameserver 10.0.2.3\nsearch lan\n',
    );
  });
});

describe('--expose and -P', () => {
  it('reads --expose as docker keys, ranges and protocols included', () => {
    expect(parseExpose('80')).toEqual(['80/tcp']);
    expect(parseExpose('53/UDP')).toEqual(['53/udp']);
    expect(parseExpose('8000-8002/tcp')).toEqual(['8000/tcp', '8001/tcp', '8002/tcp']);
    expect(() => parseExpose('80:80')).toThrow(
      'invalid argument "80:80" for "--expose" flag: invalid range format',
    );
  });

  it('publishes every exposed port that -p does not', () => {
    expect(publishAll(['80/tcp', '443/tcp', '53/udp'], [tcp(8080, 80)])).toEqual([
      { hostIp: '', hostPort: 0, containerPort: 443, proto: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 53, proto: 'udp' },
    ]);
  });
});

describe('tsctr info on the network', () => {
  it('names the default network and its way out, and why', () => {
    const [pasta, slirp, ipt] = ['/usr/bin/pasta', '/usr/bin/slirp4netns', '/usr/sbin/iptables'];
    expect(networkChoice(pasta, slirp, 'read-write', ipt)).toBe(
      'bridge, out through slirp4netns (TSCTR_BRIDGE_HELPER=pasta for more throughput)',
    );
    expect(networkChoice(pasta, slirp, 'read-write', ipt, 'pasta')).toBe(
      'bridge, out through pasta (TSCTR_BRIDGE_HELPER)',
    );
    expect(networkChoice(pasta, undefined, 'read-write', ipt)).toBe(
      'bridge, out through pasta (install slirp4netns for a faster start and less memory)',
    );
    expect(networkChoice(undefined, undefined, 'read-write', ipt)).toBe(
      'none: install slirp4netns or passt (pasta) to give containers a network',
    );
    expect(networkChoice(pasta, slirp, 'read-write', undefined)).toBe(
      'none: install iptables (the NAT of the default network)',
    );
    expect(networkChoice(undefined, slirp, 'no access (EACCES)', ipt)).toBe(
      'bridge, out through slirp4netns, but /dev/net/tun is not usable: no access (EACCES)',
    );
  });
});

describe('--dns, --dns-search, --dns-option and host-gateway', () => {
  const host = 'nameserver 10.0.0.2\nsearch corp.example\noptions ndots:2\n';

  it('puts the flags in place of what the host says', () => {
    expect(
      containerResolvConf(host, '', undefined, {
        dns: ['192.0.2.53', '192.0.2.54'],
        search: ['a.example', 'b.example'],
        options: ['ndots:1', 'timeout:2'],
      }),
    ).toBe(
      'nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch a.example b.example\noptions ndots:1 timeout:2\n',
    );
    expect(containerResolvConf(host, '', undefined, { search: ['.'] })).toBe(
      'nameserver 10.0.0.2\noptions ndots:2\n',
    );
    expect(containerResolvConf(host, '', '10.0.2.3', { dns: ['192.0.2.53'] })).toBe(
      'nameserver 192.0.2.53\nsearch corp.example\noptions ndots:2\n',
    );
  });

  it('finds where each network mode reaches the host', () => {
    const route = () => 'Iface\tDestination\tGateway\neth0\t00000000\t010200C0\n';
    expect(hostAddress(planNetwork('pasta'), route)).toBe('192.0.2.1');
    expect(hostAddress(planNetwork('slirp4netns'), route)).toBe('10.0.2.2');
    expect(hostAddress(planNetwork('host'), route)).toBe('127.0.0.1');
    expect(hostAddress(planNetwork('none'), route)).toBeUndefined();
  });

  it('writes --add-host lines, host-gateway as the address that reaches the host', () => {
    expect(extraHosts(['db:192.0.2.9', 'me:host-gateway'], '10.0.2.2')).toBe(
      '192.0.2.9\tdb\n10.0.2.2\tme\n',
    );
  });
});

describe('user networks: addresses, requests, modes', () => {
  it('allocates the lowest free host address, skipping the gateway and used ones', () => {
    expect(allocateAddress('10.89.0.0/24', '10.89.0.1', new Set())).toBe('10.89.0.2');
    expect(allocateAddress('10.89.0.0/24', '10.89.0.1', new Set(['10.89.0.2', '10.89.0.3']))).toBe(
      '10.89.0.4',
    );
    // A gateway that is not the first address is skipped where it is.
    expect(allocateAddress('10.89.0.0/30', '10.89.0.2', new Set())).toBe('10.89.0.1');
    expect(() => allocateAddress('10.89.0.0/30', '10.89.0.1', new Set(['10.89.0.2']))).toThrow(
      'no free address left in 10.89.0.0/30',
    );
  });

  it('keeps an address asked for, or says why not', () => {
    const used = new Set(['10.89.0.5']);
    expect(
      allocateAddress('10.89.0.0/24', '10.89.0.1', used, { ip: '10.89.0.9', required: true }),
    ).toBe('10.89.0.9');
    // The address of last time, taken meanwhile: another one.
    expect(
      allocateAddress('10.89.0.0/24', '10.89.0.1', used, { ip: '10.89.0.5', required: false }),
    ).toBe('10.89.0.2');
    expect(() =>
      allocateAddress('10.89.0.0/24', '10.89.0.1', used, { ip: '10.89.0.5', required: true }),
    ).toThrow('Address already in use: 10.89.0.5');
    for (const ip of ['10.89.1.5', '10.89.0.0', '10.89.0.255', '10.89.0.1']) {
      expect(() =>
        allocateAddress('10.89.0.0/24', '10.89.0.1', used, { ip, required: true }),
      ).toThrow(TsctrError);
    }
  });

  it('parses subnets and addresses', () => {
    expect(parseSubnet('10.89.3.0/24')).toEqual({ base: ipv4ToInt('10.89.3.0'), prefix: 24 });
    expect(intToIpv4(ipv4ToInt('192.168.255.1'))).toBe('192.168.255.1');
    expect(() => ipv4ToInt('10.89.0.256')).toThrow('invalid IPv4 address');
    expect(() => parseSubnet('10.89.0.0')).toThrow('invalid subnet');
  });

  it("names MACs as docker does, and veths within the kernel's 15 characters", () => {
    expect(macFor('10.89.7.2')).toBe('02:42:0a:59:07:02');
    const veth = vethName('762e65e7d5166522be054f810e7c308b', 10);
    expect(veth).toBe('veth762e65e7da');
    expect(veth.length).toBeLessThanOrEqual(15);
  });

  it('writes JOIN requests as the keeper reads them, and refuses tabs in them', () => {
    const r = {
      bridge: 'br-0123456789ab',
      gateway: '10.89.0.1',
      prefix: 24,
      ip: '10.89.0.2',
      ifname: 'eth0',
      veth: 'veth0123456780',
      route: true,
      id: 'abc',
      mac: '02:42:0a:59:00:02',
      names: ['web', 'abc', 'site'],
    };
    expect(joinLine(r)).toBe(
      'JOIN\tbr-0123456789ab\t10.89.0.1\t24\t10.89.0.2\teth0\tveth0123456780\t1\tabc\t02:42:0a:59:00:02\tweb abc site',
    );
    expect(() => joinLine({ ...r, names: ['a\tb'] })).toThrow();
  });

  it('plans a user network, container:NAME, and refuses what docker refuses', () => {
    expect(planNetwork('appnet', true, undefined, () => true)).toEqual({
      mode: 'appnet',
      ownNetns: true,
      user: true,
    });
    expect(planNetwork('container:web')).toEqual({
      mode: 'container:web',
      ownNetns: false,
      container: 'web',
    });
    expect(() => planNetwork('container:web', true)).toThrow(
      'conflicting options: port publishing and the container type network mode',
    );
    expect(() => planNetwork('container:')).toThrow('it needs a container');
    expect(isNetworkMode('host') && isNetworkMode('container:x') && !isNetworkMode('appnet')).toBe(
      true,
    );
  });
});

describe("a container's network counters", () => {
  it('sums every interface but loopback', () => {
    const dev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  999999      10    0    0    0     0          0         0   999999      10    0    0    0     0       0          0
  eth0: 1500000    1000    0    0    0     0          0         0    64000     500    0    0    0     0       0          0
  eth1:    2500      10    0    0    0     0          0         0     1000       5    0    0    0     0       0          0
`;
    const ifaces = parseNetDev(dev);
    expect(Object.keys(ifaces)).toEqual(['eth0', 'eth1']);
    expect(ifaces.eth0).toEqual({
      rx_bytes: 1500000,
      rx_packets: 1000,
      rx_errors: 0,
      rx_dropped: 0,
      tx_bytes: 64000,
      tx_packets: 500,
      tx_errors: 0,
      tx_dropped: 0,
    });
    expect(netBytes(dev)).toEqual({ rxBytes: 1502500, txBytes: 65000 });
    expect(netBytes('')).toEqual({ rxBytes: 0, txBytes: 0 });
    // Counters wide enough to meet the colon, and a last line without its newline.
    const wide = `${dev.split('\n').slice(0, 2).join('\n')}
tap0:123456789012 3 0 0 0 0 0 0 987654321098 4 0 0 0 0 0 0
    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0`;
    expect(parseNetDev(wide).tap0?.rx_bytes).toBe(123456789012);
    expect(netBytes(wide)).toEqual({ rxBytes: 123456789012, txBytes: 987654321098 });
  });
});

describe("the keeper's NAT", () => {
  it('masquerades what leaves through tap0 and sends TCP for the host to its proxy', () => {
    const cmds = natCommands('10.0.2.2', { PATH: '/usr/sbin:/usr/bin' });
    expect(cmds.map((c) => c.slice(1).join(' '))).toEqual([
      '-t nat -A POSTROUTING -o tap0 -j MASQUERADE',
      `-t nat -A PREROUTING -p tcp -d 10.0.2.2 -j REDIRECT --to-ports ${HOST_PROXY_PORT}`,
    ]);
    expect(cmds[0]![0]).toMatch(/\/iptables$/);
  });
});

describe("the host's loopback, allowed or not", () => {
  it('reads TSCTR_HOST_LOOPBACK, and turns the helpers off it', () => {
    expect(hostLoopbackAllowed({})).toBe(true);
    expect(hostLoopbackAllowed({ TSCTR_HOST_LOOPBACK: 'allow' })).toBe(true);
    expect(hostLoopbackAllowed({ TSCTR_HOST_LOOPBACK: 'deny' })).toBe(false);
    expect(() => hostLoopbackAllowed({ TSCTR_HOST_LOOPBACK: 'no' })).toThrow('want allow or deny');
    expect(pastaArgs({ ports: [], pidFile: '/p', noHostLoopback: true })[0]).toBe('--no-map-gw');
    expect(slirpArgs({ noHostLoopback: true })[0]).toBe('--disable-host-loopback');
    expect(slirpArgs()).not.toContain('--disable-host-loopback');
  });
});
