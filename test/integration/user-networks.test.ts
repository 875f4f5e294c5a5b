/**
 * User networks with a real keeper, bridge, veth pairs and pasta: containers on one network reach
 * each other by name and alias, reach the host's loopback, publish ports; connect and disconnect
 * of a running container; --ip; and nothing left running once the last member is gone, however
 * it went (rm -f, kill -9 of its monitor, kill -9 of the CLI).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBusybox } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { sandbox, tsctr, tsctrAsync, tsctrAwait, userProcesses, type Sandbox } from './harness.ts';
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

/**
 * The keeper, its pasta and any forwarder of this sandbox (their arguments name its runroot),
 * and the user's slirp4netns (its arguments do not; test files run one at a time).
 */
const helpers = () => [
  ...userProcesses(sb.user, sb.runroot),
  ...userProcesses(sb.user, 'slirp4netns --configure').filter((l) => !l.includes('ps -u')),
];

async function waitGone(): Promise<string[]> {
  // The keeper leaves within a second of its last member (its poll period), pasta with it.
  for (let i = 0; i < 40 && helpers().length; i++) await new Promise((r) => setTimeout(r, 100));
  return helpers();
}

const httpd = (name: string, ...flags: string[]) =>
  tsctr(sb, [
    'run',
    '-d',
    '--name',
    name,
    ...flags,
    image,
    'busybox',
    'httpd',
    '-f',
    '-p',
    '80',
    '-h',
    '/etc',
  ]);

/** What a throwaway container on `net` gets from `url` (httpd answers a moment after run -d). */
function fetchFrom(net: string, url: string, ...flags: string[]) {
  return tsctr(sb, [
    'run',
    '--rm',
    '--network',
    net,
    ...flags,
    image,
    'sh',
    '-c',
    `for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- ${url} && exit 0; sleep 0.2; done; exit 1`,
  ]);
}

/**
 * `body` served on the host's loopback while `use` runs with its port. `use` must not block
 * this process (tsctrAwait, not tsctr): the server lives in it.
 */
async function withHostServer<T>(body: string, use: (port: number) => Promise<T>): Promise<T> {
  const server: Server = createHttpServer((_, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await use((server.address() as { port: number }).port);
  } finally {
    server.close();
  }
}

const hostnameOf = (name: string) =>
  tsctr(sb, ['inspect', '--format', '{{.Config.Hostname}}', name]).stdout.trim();

describe('a user network', () => {
  it('lets containers reach each other by name and alias, and the host, with addresses in its subnet', async () => {
    expect(tsctr(sb, ['network', 'create', '--subnet', '10.89.201.0/24', 'appnet']).code).toBe(0);
    expect(httpd('web', '--network', 'appnet', '--network-alias', 'site').code).toBe(0);
    const web = hostnameOf('web');
    for (const name of ['web', 'site']) {
      const r = fetchFrom('appnet', `http://${name}/hostname`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${web}\n`);
    }
    const ip = tsctr(sb, ['inspect', '--format', '{{.NetworkSettings.IPAddress}}', 'web']);
    expect(ip.stdout).toMatch(/^10\.89\.201\.\d+\n$/);
    const nets = tsctr(sb, [
      'inspect',
      '--format',
      '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{$v.Gateway}} {{$v.Aliases}}{{end}}',
      'web',
    ]);
    expect(nets.stdout).toBe(`appnet ${ip.stdout.trim()} 10.89.201.1 [site]\n`);
    const ps = tsctr(sb, [
      'ps',
      '--filter',
      'network=appnet',
      '--format',
      '{{.Names}} {{.Networks}}',
    ]);
    expect(ps.stdout).toBe('web appnet\n');
    expect(tsctr(sb, ['ps', '-q', '--filter', 'network=none']).stdout).toBe('');
    // The container's own name, and a service on the host's loopback through the keeper's NAT.
    const r = await withHostServer('from the host\n', (port) =>
      tsctrAwait(sb, [
        'exec',
        'web',
        'sh',
        '-c',
        `wget -qO- http://site/hostname && wget -qO- http://host.containers.internal:${port}/ && cat /etc/resolv.conf`,
      ]),
    );
    expect(r.stdout).toMatch(new RegExp(`^${web}\nfrom the host\n(.|\n)*nameserver `));
  });

  it("counts a container's traffic per interface in inspect, for stats' NET I/O", async () => {
    type Counters = Record<string, { rx_bytes: number; tx_bytes: number; rx_packets: number }>;
    const counters = (name: string): { key: string; stats: Counters | null } => {
      const r = tsctr(sb, ['inspect', '--format', '{{json .NetworkSettings}}', name]);
      expect(r.code).toBe(0);
      const n = JSON.parse(r.stdout) as { SandboxKey: string; InterfaceStatistics: Counters };
      return { key: n.SandboxKey, stats: n.InterfaceStatistics };
    };
    const before = counters('web');
    expect(before.key).toMatch(/^\/proc\/\d+\/ns\/net$/);
    expect(Object.keys(before.stats ?? {})).toEqual(['eth0']);
    const body = 'x'.repeat(1 << 20);
    const r = await withHostServer(body, (port) =>
      tsctrAwait(sb, [
        'exec',
        'web',
        'sh',
        '-c',
        `wget -qO- http://host.containers.internal:${port}/ | wc -c`,
      ]),
    );
    expect(r.stdout.trim()).toBe(String(body.length));
    const after = counters('web').stats!.eth0!;
    const was = before.stats!.eth0!;
    // The megabyte and its headers came in; the request and the ACKs went out.
    expect(after.rx_bytes - was.rx_bytes).toBeGreaterThanOrEqual(body.length);
    expect(after.rx_bytes - was.rx_bytes).toBeLessThan(body.length * 1.2);
    expect(after.tx_bytes).toBeGreaterThan(was.tx_bytes);
    expect(after.rx_packets).toBeGreaterThan(was.rx_packets);
    // A --network host container's traffic is the host's: none of its own, as docker shows.
    expect(
      tsctr(sb, ['run', '-d', '--name', 'onhost', '--network', 'host', image, 'sleep', '60']).code,
    ).toBe(0);
    expect(counters('onhost')).toEqual({ key: '', stats: null });
    expect(tsctr(sb, ['rm', '-f', 'onhost']).code).toBe(0);
  });

  it('publishes a port of a container on it', async () => {
    const port = await freePort();
    expect(httpd('pubweb', '--network', 'appnet', '-p', `${port}:80`).code).toBe(0);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = spawnSync('curl', ['-sf', `http://127.0.0.1:${port}/hostname`], {
        encoding: 'utf8',
      }).stdout;
      if (!body) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe(`${hostnameOf('pubweb')}\n`);
    expect(tsctr(sb, ['port', 'pubweb']).stdout).toContain(`80/tcp -> 0.0.0.0:${port}`);
    expect(tsctr(sb, ['rm', '-f', 'pubweb']).code).toBe(0);
    // The port is free once rm returns.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '0.0.0.0', resolve);
    });
    again.close();
  });

  it('publishes a UDP port, answers included, on the default network', async () => {
    const dir = join(sb.dir, 'fixtures');
    mkdirSync(dir, { recursive: true });
    execFileSync('cc', ['-static', '-O2', '-o', join(dir, 'udp-echo'), 'test/fixtures/udp-echo.c']);
    chownSync(dir, sb.user.uid, sb.user.gid);
    const port = await freePort();
    const r = tsctr(sb, [
      'run',
      '-d',
      '--name',
      'echo',
      '-p',
      `${port}:9999/udp`,
      '-v',
      `${dir}:/x:ro`,
      image,
      '/x/udp-echo',
      '9999',
    ]);
    expect(r.code).toBe(0);
    expect(tsctr(sb, ['port', 'echo']).stdout).toBe(`9999/udp -> 0.0.0.0:${port}\n`);
    const sock = createSocket('udp4');
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer')), 10_000);
        sock.on('message', (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        // The server may not be up yet: ask again until it answers.
        const ask = () => sock.send('ping\n', port, '127.0.0.1');
        ask();
        const again = setInterval(ask, 200);
        sock.once('message', () => clearInterval(again));
      });
      expect(answer).toBe('echo: ping\n');
    } finally {
      sock.close();
    }
    expect(tsctr(sb, ['rm', '-f', 'echo']).code).toBe(0);
  });

  it('gives a container the address --ip names, and refuses one in use or outside', () => {
    expect(
      tsctr(sb, [
        'run',
        '-d',
        '--name',
        'fixed',
        '--network',
        'appnet',
        '--ip',
        '10.89.201.77',
        image,
        'sleep',
        '60',
      ]).code,
    ).toBe(0);
    const r = fetchFrom('appnet', 'http://web/hostname', '--ip', '10.89.201.78');
    expect(r.code).toBe(0);
    const seen = tsctr(sb, ['exec', 'fixed', 'ip', '-4', 'addr', 'show', 'eth0']);
    expect(seen.stdout).toContain('inet 10.89.201.77/24');
    const taken = tsctr(sb, [
      'run',
      '--rm',
      '--network',
      'appnet',
      '--ip',
      '10.89.201.77',
      image,
      'true',
    ]);
    expect(taken.code).toBe(125);
    expect(taken.stderr).toContain('Address already in use: 10.89.201.77');
    const outside = tsctr(sb, ['create', '--network', 'appnet', '--ip', '10.1.2.3', image, 'true']);
    expect(outside.code).toBe(125);
    expect(outside.stderr).toContain('no configured subnet contains IP address 10.1.2.3');
    const noNet = tsctr(sb, ['create', '--ip', '10.1.2.3', image, 'true']);
    expect(noNet.stderr).toContain(
      'user specified IP address is supported on user defined networks only',
    );
    expect(tsctr(sb, ['rm', '-f', 'fixed']).code).toBe(0);
  });

  it('connects a running container to another network and disconnects it', () => {
    expect(tsctr(sb, ['network', 'create', 'backnet']).code).toBe(0);
    expect(httpd('db', '--network', 'backnet').code).toBe(0);
    const unreachable = tsctr(sb, ['exec', 'web', 'wget', '-qO-', 'http://db/hostname']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("bad address 'db'");
    expect(tsctr(sb, ['network', 'connect', '--alias', 'front', 'backnet', 'web']).code).toBe(0);
    const reached = tsctr(sb, ['exec', 'web', 'wget', '-qO-', 'http://db/hostname']);
    expect(reached.stdout).toBe(`${hostnameOf('db')}\n`);
    const back = tsctr(sb, ['exec', 'db', 'wget', '-qO-', 'http://front/hostname']);
    expect(back.stdout).toBe(`${hostnameOf('web')}\n`);
    const twice = tsctr(sb, ['network', 'connect', 'backnet', 'web']);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('endpoint with name web already exists in network backnet');
    expect(tsctr(sb, ['network', 'disconnect', 'backnet', 'web']).code).toBe(0);
    const gone = tsctr(sb, ['exec', 'web', 'sh', '-c', 'ip -4 addr; cat /etc/hosts']);
    expect(gone.stdout).not.toContain('eth1');
    expect(gone.stdout).not.toMatch(/\tdb\t/);
    const mode = tsctr(sb, [
      'run',
      '-d',
      '--name',
      'solo',
      '--network',
      'none',
      image,
      'sleep',
      '60',
    ]);
    expect(mode.code).toBe(0);
    const refused = tsctr(sb, ['network', 'connect', 'backnet', 'solo']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('private (none) mode');
    expect(tsctr(sb, ['rm', '-f', 'solo', 'db']).code).toBe(0);
  });

  it('leaves nothing running once its last container is gone', async () => {
    expect(helpers().some((l) => l.includes('--network'))).toBe(true); // the keeper, for web
    expect(tsctr(sb, ['rm', '-f', 'web']).code).toBe(0);
    expect(await waitGone()).toEqual([]);
  });

  it('leaves nothing running after kill -9 of the monitor, or of the CLI', async () => {
    expect(
      tsctr(sb, ['run', '-d', '--name', 'victim', '--network', 'appnet', image, 'sleep', '60'])
        .code,
    ).toBe(0);
    const monitor = tsctr(sb, ['inspect', '--format', '{{.State.Pid}}', 'victim']).stdout.trim();
    const mon = spawnSync('ps', ['-o', 'ppid=', '-p', monitor], { encoding: 'utf8' }).stdout.trim();
    process.kill(Number(mon), 'SIGKILL');
    expect(await waitGone()).toEqual([]);
    tsctr(sb, ['rm', '-f', 'victim']);
    // A foreground run whose CLI is killed: the container and its network go on; rm ends both.
    const cli = tsctrAsync(sb, [
      'run',
      '--name',
      'orphan',
      '--network',
      'appnet',
      image,
      'sleep',
      '60',
    ]);
    let running = '';
    for (let i = 0; i < 100 && running !== 'true\n'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      running = tsctr(sb, ['inspect', '--format', '{{.State.Running}}', 'orphan']).stdout;
    }
    expect(running).toBe('true\n');
    process.kill(cli.pid!, 'SIGKILL');
    await new Promise((r) => cli.once('close', r));
    expect(tsctr(sb, ['exec', 'orphan', 'ip', '-4', 'addr', 'show', 'eth0']).stdout).toContain(
      '10.89.201.',
    );
    expect(tsctr(sb, ['rm', '-f', 'orphan']).code).toBe(0);
    expect(await waitGone()).toEqual([]);
  });
});

describe('network commands', () => {
  it('create, ls, inspect, rm and prune as docker prints them', () => {
    const id = tsctr(sb, ['network', 'create', '--label', 'team=a', 'cmdnet']);
    expect(id.code).toBe(0);
    expect(id.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const ls = tsctr(sb, ['network', 'ls']);
    expect(ls.stdout.split('\n')[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(ls.stdout).toMatch(
      new RegExp(`\n${id.stdout.slice(0, 12)}\\s+cmdnet\\s+bridge\\s+local\n`),
    );
    expect(ls.stdout).toMatch(/\n[0-9a-f]{12}\s+bridge\s+bridge\s+local\n/);
    expect(ls.stdout).toMatch(/\n[0-9a-f]{12}\s+host\s+host\s+local\n/);
    expect(ls.stdout).toMatch(/\n[0-9a-f]{12}\s+none\s+null\s+local\n/);
    const custom = tsctr(sb, [
      'network',
      'ls',
      '-f',
      'label=team=a',
      '--format',
      '{{.Name}} {{.Driver}}',
    ]);
    expect(custom.stdout).toBe('cmdnet bridge\n');
    const quiet = tsctr(sb, ['network', 'ls', '-q', '--no-trunc', '-f', 'name=cmdnet']);
    expect(quiet.stdout).toBe(id.stdout);
    const subnet = tsctr(sb, [
      'network',
      'inspect',
      '-f',
      '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.team}}',
      'cmdnet',
    ]);
    expect(subnet.stdout).toMatch(/^10\.89\.\d+\.0\/24 10\.89\.\d+\.1 a\n$/);
    for (const args of [['inspect'], ['inspect', '--type', 'network']]) {
      const r = tsctr(sb, [...args, '-f', '{{.Name}} {{.Driver}} {{.Id}}', 'cmdnet']);
      expect(r.stdout).toBe(`cmdnet bridge ${id.stdout}`);
    }
    const dup = tsctr(sb, ['network', 'create', 'cmdnet']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('network with name cmdnet already exists');
    const overlap = tsctr(sb, [
      'network',
      'create',
      '--subnet',
      subnet.stdout.split(' ')[0]!,
      'cmd2',
    ]);
    expect(overlap.stderr).toContain('Pool overlaps with other one on this address space');
    const badSubnet = tsctr(sb, ['network', 'create', '--subnet', '10.77.1.5/24', 'cmd3']);
    expect(badSubnet.stderr).toContain('invalid subnet 10.77.1.5/24: it should be 10.77.1.0/24');
    const builtin = tsctr(sb, ['network', 'create', 'host']);
    expect(builtin.stderr).toContain('operation is not permitted on predefined host network');
    // A container names it: rm refuses, prune keeps it.
    expect(
      tsctr(sb, ['create', '--name', 'user1', '--network', 'cmdnet', image, 'true']).code,
    ).toBe(0);
    const busy = tsctr(sb, ['network', 'rm', 'cmdnet', 'nosuchnet']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(
      'error while removing network: network cmdnet has active endpoints (name:"user1" id:"',
    );
    expect(busy.stderr).toContain('network nosuchnet not found');
    expect(tsctr(sb, ['network', 'create', 'unused1']).code).toBe(0);
    const prune = tsctr(sb, ['network', 'prune', '-f']);
    expect(prune.stdout).toContain('Deleted Networks:\n');
    expect(prune.stdout).toContain('\nunused1\n');
    expect(prune.stdout).not.toContain('cmdnet');
    const missing = tsctr(sb, ['run', '--rm', '--network', 'nosuchnet', image, 'true']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain('network nosuchnet not found');
    expect(tsctr(sb, ['rm', 'user1']).code).toBe(0);
    expect(tsctr(sb, ['network', 'rm', 'cmdnet']).stdout).toBe('cmdnet\n');
  });
});

describe("the host's loopback", () => {
  it('is out of reach with TSCTR_HOST_LOOPBACK=deny, on the default network and through pasta', async () => {
    const denied = { ...sb, env: { ...sb.env, TSCTR_HOST_LOOPBACK: 'deny' } };
    await withHostServer('from the host\n', async (port) => {
      expect(await waitGone()).toEqual([]); // the keeper starts anew, with the setting
      // nc, not wget: busybox 1.35's wget -T crashes.
      const script = (host: string) =>
        `grep -c host.containers.internal /etc/hosts; r=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${port} | tail -1); echo \${r:-unreachable}`;
      const bridge = await tsctrAwait(denied, [
        'run',
        '--rm',
        image,
        'sh',
        '-c',
        script('10.0.2.2'),
      ]);
      expect(bridge.stdout).toBe('0\nunreachable\n');
      const gw = tsctr(sb, ['run', '--rm', '--network', 'pasta', image, 'ip', 'route']);
      const gateway = /default via (\S+)/.exec(gw.stdout)![1]!;
      const pasta = await tsctrAwait(denied, [
        'run',
        '--rm',
        '--network',
        'pasta',
        image,
        'sh',
        '-c',
        script(gateway),
      ]);
      expect(pasta.stdout).toBe('0\nunreachable\n');
      // Allowed (the default), the same container reaches it.
      const allowed = await tsctrAwait(sb, ['run', '--rm', image, 'sh', '-c', script('10.0.2.2')]);
      expect(allowed.stdout).toBe('1\nfrom the host\n');
    });
  });
});
