/**
 * Published ports and network modes with a real pasta: a busybox httpd container reached from
 * the host through -p, three at once, `port`, PORTS and inspect, a host service reached from a
 * container, none and host modes, the errors docker users meet (a port in use, a privileged
 * port, -p with --network none), and no pasta left behind by rm or by a killed monitor.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerResolvConf } from '../../src/netns/dns.ts';
import { seedBusybox } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { sandbox, tsctr, tsctrAwait, userProcesses, type Sandbox } from './harness.ts';
import { freePort } from '../fixtures/net.ts';

let reg: TestRegistry;
let sb: Sandbox;
let image: string;

beforeAll(async () => {
  reg = await startRegistry();
  await seedBusybox(reg.host, 'busybox', 'latest');
  image = `${reg.host}/busybox`;
  sb = sandbox();
  expect(tsctr(sb, ['pull', '-q', image]).code).toBe(0);
});

afterAll(async () => {
  tsctr(sb, ['rm', '-f', ...tsctr(sb, ['ps', '-aq']).stdout.split('\n').filter(Boolean)]);
  sb?.cleanup();
  await reg?.stop();
});

/** This sandbox's pasta processes (their --pid file is under its runroot). */
const pastas = () => userProcesses(sb.user, sb.runroot).filter((l) => l.includes('pasta'));

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  // httpd is up a moment after `run -d` returns.
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, body: await r.text() };
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The interfaces /proc/net/dev lists. */
const interfaces = (text: string) =>
  text
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]!.trim())
    .filter(Boolean)
    .sort();

/** A detached busybox httpd serving /etc on the container's port 80 (through pasta unless told). */
const httpd = (name: string, publish: string, ...flags: string[]) =>
  tsctr(sb, [
    'run',
    '-d',
    '--name',
    name,
    ...(flags.includes('--network') ? flags : ['--network', 'pasta', ...flags]),
    '-p',
    publish,
    image,
    'busybox',
    'httpd',
    '-f',
    '-p',
    '80',
    '-h',
    '/etc',
  ]);

describe('published ports', () => {
  it('reaches a container through -p, and shows it in PORTS, port and inspect', async () => {
    const port = await freePort();
    const r = httpd('web', `${port}:80`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    const page = await get(port, '/hostname');
    expect(page.status).toBe(200);
    expect(page.body).toBe(`${id.slice(0, 12)}\n`);
    expect(tsctr(sb, ['ps', '--format', '{{.Names}} {{.Ports}}']).stdout).toBe(
      `web 0.0.0.0:${port}->80/tcp\n`,
    );
    expect(tsctr(sb, ['port', 'web']).stdout).toBe(`80/tcp -> 0.0.0.0:${port}\n`);
    expect(tsctr(sb, ['port', 'web', '80']).stdout).toBe(`0.0.0.0:${port}\n`);
    const none = tsctr(sb, ['port', 'web', '81']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe("Error: No public port '81/tcp' published for web\n");
    const info = JSON.parse(tsctr(sb, ['inspect', 'web']).stdout)[0];
    expect(info.HostConfig.NetworkMode).toBe('pasta');
    expect(info.HostConfig.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: `${port}` }],
    });
    expect(info.NetworkSettings.Ports).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: `${port}` }],
    });
    expect(pastas()).toHaveLength(1);
    expect(tsctr(sb, ['rm', '-f', 'web']).code).toBe(0);
    expect(pastas()).toEqual([]);
    // The port is free again at once.
    const again = await new Promise<Server>((res, rej) => {
      const s = createServer().once('error', rej);
      s.listen(port, '0.0.0.0', () => res(s));
    });
    await new Promise((r) => again.close(r));
  });

  it('chooses a free host port for -p CONTAINER_PORT, and serves three containers at once', async () => {
    expect(httpd('one', '80').code).toBe(0);
    const chosen = Number(tsctr(sb, ['port', 'one', '80']).stdout.trim().split(':').at(-1));
    expect(chosen).toBeGreaterThan(1023);
    const [p2, p3] = [await freePort(), await freePort()];
    expect(httpd('two', `127.0.0.1:${p2}:80`).code).toBe(0);
    expect(httpd('three', `${p3}:80/tcp`).code).toBe(0);
    const pages = await Promise.all([chosen, p2, p3].map((p) => get(p, '/hostname')));
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(new Set(pages.map((p) => p.body)).size).toBe(3);
    expect(tsctr(sb, ['port', 'two']).stdout).toBe(`80/tcp -> 127.0.0.1:${p2}\n`);
    expect(pastas()).toHaveLength(3);
    expect(tsctr(sb, ['rm', '-f', 'one', 'two', 'three']).code).toBe(0);
    expect(pastas()).toEqual([]);
  });

  it('publishes every exposed port with -P, and shows exposed ports nothing publishes', async () => {
    const r = tsctr(sb, [
      'run',
      '-d',
      '--name',
      'all',
      '--expose',
      '80',
      '--expose',
      '81/udp',
      '-P',
      image,
      'busybox',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/etc',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = tsctr(sb, ['port', 'all']).stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^80\/tcp -> 0\.0\.0\.0:\d+$/);
    expect(lines[1]).toMatch(/^81\/udp -> 0\.0\.0\.0:\d+$/);
    const port = Number(lines[0]!.split(':').at(-1));
    expect((await get(port, '/hostname')).status).toBe(200);
    const info = JSON.parse(tsctr(sb, ['inspect', 'all']).stdout)[0];
    expect(info.Config.ExposedPorts).toEqual({ '80/tcp': {}, '81/udp': {} });
    expect(tsctr(sb, ['rm', '-f', 'all']).code).toBe(0);

    expect(
      tsctr(sb, ['run', '-d', '--name', 'quiet', '--expose', '9000', image, 'sleep', '30']).code,
    ).toBe(0);
    expect(tsctr(sb, ['ps', '--format', '{{.Names}} {{.Ports}}']).stdout).toBe('quiet 9000/tcp\n');
    expect(tsctr(sb, ['rm', '-f', 'quiet']).code).toBe(0);
  });

  it("reaches a service on the host's loopback as host.containers.internal and host.docker.internal", async () => {
    const srv = createHttpServer((_, res) => res.end('from the host\n'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      // Not tsctr(): a synchronous spawn would stop this process's server from answering.
      const r = await tsctrAwait(sb, [
        'run',
        '--rm',
        '--network',
        'pasta',
        image,
        'sh',
        '-c',
        `wget -q -O- http://host.containers.internal:${port}/ && wget -q -O- http://host.docker.internal:${port}/`,
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('from the host\nfrom the host\n');
      expect(r.code).toBe(0);
    } finally {
      srv.close();
    }
  });

  it("gives the container the host's resolvers", () => {
    const r = tsctr(sb, ['run', '--rm', '--network', 'pasta', image, 'cat', '/etc/resolv.conf']);
    expect(r.code).toBe(0);
    const want = containerResolvConf(
      readFileSync('/etc/resolv.conf', 'utf8'),
      existsSync('/run/systemd/resolve/resolv.conf')
        ? readFileSync('/run/systemd/resolve/resolv.conf', 'utf8')
        : '',
    );
    expect(r.stdout).toBe(want);
    const none = tsctr(sb, ['run', '--rm', '--network', 'none', image, 'cat', '/etc/hosts']);
    expect(none.stdout).not.toContain('host.containers.internal');
  });

  it('leaves no pasta when the monitor is killed', async () => {
    expect(httpd('doomed', `${await freePort()}:80`).code).toBe(0);
    expect(pastas()).toHaveLength(1);
    const monitor = userProcesses(sb.user, 'tsctr-monitor').find((l) => l.includes(sb.runroot));
    expect(monitor).toBeDefined();
    process.kill(Number(monitor!.trim().split(/\s+/)[0]), 'SIGKILL');
    for (let i = 0; i < 50 && pastas().length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(pastas()).toEqual([]);
    expect(tsctr(sb, ['rm', '-f', 'doomed']).code).toBe(0);
  });
});

describe('slirp4netns, forced', () => {
  const slirps = () =>
    userProcesses(sb.user, 'slirp4netns --configure').filter((l) => !l.includes('ps -u'));

  it("publishes a port, reaches the host's loopback by name, and leaves nothing behind", async () => {
    const port = await freePort();
    const r = httpd('slow', `${port}:80`, '--network', 'slirp4netns');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const page = await get(port, '/hostname');
    expect(page.status).toBe(200);
    expect(page.body).toBe(`${r.stdout.trim().slice(0, 12)}\n`);
    expect(tsctr(sb, ['port', 'slow']).stdout).toBe(`80/tcp -> 0.0.0.0:${port}\n`);
    expect(slirps()).toHaveLength(1);
    expect(tsctr(sb, ['exec', 'slow', 'cat', '/etc/resolv.conf']).stdout).toMatch(
      /^nameserver 10\.0\.2\.3\n/,
    );
    expect(tsctr(sb, ['rm', '-f', 'slow']).code).toBe(0);
    expect(slirps()).toEqual([]);

    const srv = createHttpServer((_, res) => res.end('from the host\n'));
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const hostPort = (srv.address() as { port: number }).port;
    try {
      const got = await tsctrAwait(sb, [
        'run',
        '--rm',
        '--network',
        'slirp4netns',
        image,
        'wget',
        '-q',
        '-O-',
        `http://host.containers.internal:${hostPort}/`,
      ]);
      expect(got.stderr).toBe('');
      expect(got.stdout).toBe('from the host\n');
    } finally {
      srv.close();
    }
    expect(slirps()).toEqual([]);
  });

  it('goes with a killed monitor', async () => {
    const r = tsctr(sb, [
      'run',
      '-d',
      '--name',
      'orphan',
      '--network',
      'slirp4netns',
      '-p',
      `${await freePort()}:80`,
      image,
      'sleep',
      '30',
    ]);
    expect(r.code).toBe(0);
    expect(slirps()).toHaveLength(1);
    const monitor = userProcesses(sb.user, 'tsctr-monitor').find((l) => l.includes(sb.runroot));
    process.kill(Number(monitor!.trim().split(/\s+/)[0]), 'SIGKILL');
    for (let i = 0; i < 50 && slirps().length; i++)
      await new Promise((res) => setTimeout(res, 100));
    expect(slirps()).toEqual([]);
    expect(tsctr(sb, ['rm', '-f', 'orphan']).code).toBe(0);
  });
});

describe('errors docker users meet', () => {
  it('says a host port is in use, and leaves nothing behind', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '0.0.0.0', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = tsctr(sb, [
        'run',
        '-d',
        '--name',
        'clash',
        '-p',
        `${port}:80`,
        image,
        'sleep',
        '30',
      ]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(
        new RegExp(`^Error: Bind for 0.0.0.0:${port} failed: port is already allocated\\nHint: `),
      );
      expect(pastas()).toEqual([]);
      expect(tsctr(sb, ['rm', 'clash']).code).toBe(0);
    } finally {
      busy.close();
    }
  });

  it('refuses a privileged host port with the sysctl that allows it', () => {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    const r = tsctr(sb, ['create', '-p', '80:80', image, 'true']);
    if (start > 80) {
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(
        `Error: cannot publish port 80: it is below net.ipv4.ip_unprivileged_port_start (${start})`,
      );
      expect(r.stderr).toContain('sudo sysctl net.ipv4.ip_unprivileged_port_start=80');
    } else {
      expect(r.code).toBe(0);
      tsctr(sb, ['rm', r.stdout.trim()]);
    }
  });

  it('refuses -p with --network none, and a malformed -p', () => {
    const none = tsctr(sb, ['run', '--rm', '--network', 'none', '-p', '8080:80', image, 'true']);
    expect(none.code).toBe(125);
    expect(none.stderr).toContain(
      'Error: conflicting options: port publishing and the network mode "none"',
    );
    const bad = tsctr(sb, ['run', '--rm', '-p', '8080:80/sctp', image, 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(
      'Error: invalid argument "8080:80/sctp" for "-p, --publish" flag: unsupported protocol sctp',
    );
  });
});

describe('--dns flags and --add-host host-gateway', () => {
  it('writes resolv.conf from --dns, --dns-search and --dns-option, and keeps them for inspect', () => {
    const r = tsctr(sb, [
      'run',
      '--name',
      'dns',
      '--dns',
      '192.0.2.53',
      '--dns-search',
      'a.example',
      '--dns-option',
      'ndots:1',
      image,
      'cat',
      '/etc/resolv.conf',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('nameserver 192.0.2.53\nsearch a.example\noptions ndots:1\n');
    const info = JSON.parse(tsctr(sb, ['inspect', 'dns']).stdout)[0];
    expect(info.HostConfig.Dns).toEqual(['192.0.2.53']);
    expect(info.HostConfig.DnsSearch).toEqual(['a.example']);
    expect(info.HostConfig.DnsOptions).toEqual(['ndots:1']);
    expect(tsctr(sb, ['rm', 'dns']).code).toBe(0);
    const bad = tsctr(sb, ['run', '--rm', '--dns', 'resolver', image, 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(
      'invalid argument "resolver" for "--dns" flag: resolver is not an ip address',
    );
  });

  it('names the host by host-gateway where the container reaches it, and refuses it where not', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--network',
      'slirp4netns',
      '--add-host',
      'me:host-gateway',
      image,
      'grep',
      'me$',
      '/etc/hosts',
    ]);
    expect(r.stdout).toBe('10.0.2.2\tme\n');
    const none = tsctr(sb, [
      'run',
      '--rm',
      '--network',
      'none',
      '--add-host',
      'me:host-gateway',
      image,
      'true',
    ]);
    expect(none.code).toBe(125);
    expect(none.stderr).toContain(
      'Error: --add-host NAME:host-gateway needs a network that reaches the host',
    );
  });
});

describe('network modes', () => {
  it('are named in tsctr info, with the helper -p uses', () => {
    const r = tsctr(sb, ['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      ' Default network: bridge, out through slirp4netns (TSCTR_BRIDGE_HELPER=pasta for more throughput)\n',
    );
  });

  it('none has only loopback, pasta an interface as the host has, host the host itself', () => {
    const none = tsctr(sb, ['run', '--rm', '--network', 'none', image, 'cat', '/proc/net/dev']);
    expect(interfaces(none.stdout)).toEqual(['lo']);
    const pasta = tsctr(sb, ['run', '--rm', '--network', 'pasta', image, 'ip', 'addr', 'show']);
    expect(pasta.code).toBe(0);
    expect(pasta.stdout).toMatch(/inet \d+\.\d+\.\d+\.\d+\/\d+ .*global/);
    const host = tsctr(sb, ['run', '--rm', '--network', 'host', image, 'cat', '/proc/net/dev']);
    const mine = spawnSync('cat', ['/proc/net/dev'], { encoding: 'utf8' }).stdout;
    expect(interfaces(host.stdout)).toEqual(interfaces(mine));
  });
});

describe('--network container:NAME', () => {
  it("joins a running container's network, hosts and resolvers, and reaches its loopback", async () => {
    const port = await freePort();
    expect(httpd('netowner', `${port}:80`).code).toBe(0);
    await get(port, '/hostname'); // up
    const owner = tsctr(sb, ['inspect', '--format', '{{.Id}} {{.Config.Hostname}}', 'netowner']);
    const [ownerId, ownerHost] = owner.stdout.trim().split(' ');
    const r = tsctr(sb, [
      'run',
      '--rm',
      '--network',
      'container:netowner',
      image,
      'sh',
      '-c',
      'cat /proc/net/dev; hostname; wget -qO- http://127.0.0.1/hostname; cat /etc/hosts',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [dev, rest] = [r.stdout.split('\n').slice(0, 4).join('\n'), r.stdout];
    expect(interfaces(dev).length).toBeGreaterThan(1); // pasta's interface, not only lo
    // Its own hostname is the owner's; httpd on the owner's loopback served the owner's
    // /etc/hostname; /etc/hosts is the owner's (host.containers.internal from its pasta).
    expect(rest).toContain(`${ownerHost}\n${ownerHost}\n`);
    expect(rest).toContain('host.containers.internal');
    const created = tsctr(sb, [
      'create',
      '--name',
      'netguest',
      '--network',
      'container:netowner',
      image,
      'sleep',
      '60',
    ]);
    expect(created.code).toBe(0);
    const mode = tsctr(sb, ['inspect', '--format', '{{.HostConfig.NetworkMode}}', 'netguest']);
    expect(mode.stdout.trim()).toBe(`container:${ownerId}`);
    expect(tsctr(sb, ['start', 'netguest']).code).toBe(0);
    const ex = tsctr(sb, ['exec', 'netguest', 'wget', '-qO-', 'http://127.0.0.1/hostname']);
    expect(ex.stdout).toBe(`${ownerHost}\n`);
    expect(tsctr(sb, ['rm', '-f', 'netguest', 'netowner']).code).toBe(0);
  });

  it('refuses what docker refuses: a missing or stopped container, -p, --hostname, --dns', () => {
    const missing = tsctr(sb, ['run', '--rm', '--network', 'container:nosuch', image, 'true']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain('No such container: nosuch');
    expect(tsctr(sb, ['create', '--name', 'stopped-owner', image, 'true']).code).toBe(0);
    const stopped = tsctr(sb, [
      'run',
      '--rm',
      '--network',
      'container:stopped-owner',
      image,
      'true',
    ]);
    expect(stopped.code).toBe(125);
    expect(stopped.stderr).toMatch(/cannot join network of a non running container: [0-9a-f]{64}/);
    for (const [flags, what] of [
      [['-p', '8080:80'], 'port publishing and the container type network mode'],
      [['--hostname', 'h'], 'hostname and the network mode'],
      [['--dns', '192.0.2.53'], 'dns and the network mode'],
      [['--add-host', 'a:192.0.2.9'], 'custom host-to-IP mapping and the network mode'],
    ] as const) {
      const r = tsctr(sb, [
        'run',
        '--rm',
        ...flags,
        '--network',
        'container:stopped-owner',
        image,
        'true',
      ]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(`conflicting options: ${what}`);
    }
    expect(tsctr(sb, ['rm', 'stopped-owner']).code).toBe(0);
  });
});
