/**
 * Published ports: `-p [ip:][hostPort:]containerPort[/proto]` read with the docker CLI's rules
 * (github.com/docker/go-connections nat.ParsePortSpec), ranges included, and the PORTS column and
 * `port` lines printed as docker prints them.
 */
import { TsctrError } from '../errors.ts';

export type Proto = 'tcp' | 'udp';

/** One container port published on one host port (a range is one per port). */
export interface PortMapping {
  /** The address the host side binds; '' is every address (docker's 0.0.0.0). */
  hostIp: string;
  /** 0 until a free port is chosen for `-p CONTAINER_PORT` (create does). */
  hostPort: number;
  containerPort: number;
  proto: Proto;
}

function badSpec(spec: string, why: string): TsctrError {
  return new TsctrError(`invalid argument "${spec}" for "-p, --publish" flag: ${why}`, {
    hint: 'the forms are -p CONTAINER_PORT, -p HOST_PORT:CONTAINER_PORT and -p IP:HOST_PORT:CONTAINER_PORT[/tcp|/udp]',
  });
}

/** "80" or "8000-8010" as [first, last]; undefined for '' (any). */
function portRange(spec: string, text: string, what: string): [number, number] | undefined {
  if (text === '') return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const first = m ? Number(m[1]) : NaN;
  const last = m?.[2] !== undefined ? Number(m[2]) : first;
  if (!m || first < 1 || last > 65535 || last < first) {
    throw badSpec(spec, `invalid ${what} port: ${text}`);
  }
  return [first, last];
}

/** One `-p` value as the mappings it stands for. */
export function parsePublish(spec: string): PortMapping[] {
  let rest = spec;
  let proto: Proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw badSpec(spec, `unsupported protocol ${p}`);
    proto = p;
    rest = rest.slice(0, slash);
  }
  let hostIp = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw badSpec(spec, 'invalid IPv6 address');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  let hostText = '';
  let ctrText: string;
  if (parts.length === 1) ctrText = parts[0]!;
  else if (parts.length === 2) [hostText, ctrText] = parts as [string, string];
  else if (parts.length === 3 && !hostIp)
    [hostIp, hostText, ctrText] = parts as [string, string, string];
  else throw badSpec(spec, 'too many colons');
  if (hostIp && !/^(\d{1,3}\.){3}\d{1,3}$/.test(hostIp) && !/^[0-9a-fA-F:]+$/.test(hostIp)) {
    throw badSpec(spec, `invalid IP address: ${hostIp}`);
  }
  if (hostIp === '0.0.0.0' || hostIp === '::') hostIp = '';
  const ctr = portRange(spec, ctrText, 'container');
  if (!ctr) throw badSpec(spec, 'no container port');
  const host = portRange(spec, hostText, 'host');
  const count = ctr[1] - ctr[0] + 1;
  if (host && host[1] - host[0] + 1 !== count && count !== 1) {
    throw badSpec(spec, 'port ranges do not have the same size');
  }
  const out: PortMapping[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      hostIp,
      // A host range for one container port: the first port of it (docker picks a free one).
      hostPort: host ? host[0] + i : 0,
      containerPort: ctr[0] + i,
      proto,
    });
  }
  return out;
}

type Bindings = Record<string, { HostIp: string; HostPort: string }[]>;

function bindings(mappings: PortMapping[], ip: (m: PortMapping) => string): Bindings {
  const out: Bindings = {};
  for (const m of mappings) {
    (out[`${m.containerPort}/${m.proto}`] ??= []).push({
      HostIp: ip(m),
      HostPort: m.hostPort ? String(m.hostPort) : '',
    });
  }
  return out;
}

/** docker's HostConfig.PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}. */
export const portBindings = (mappings: PortMapping[]): Bindings =>
  bindings(mappings, (m) => m.hostIp);

/** docker's NetworkSettings.Ports of a running container: every address shown as such. */
export const networkPorts = (mappings: PortMapping[]): Bindings =>
  bindings(mappings, (m) => m.hostIp || '0.0.0.0');

const shownIp = (ip: string) => (ip === '' ? '0.0.0.0' : ip.includes(':') ? `[${ip}]` : ip);

/**
 * The PORTS column: "0.0.0.0:8080->80/tcp", consecutive ports as one range
 * ("0.0.0.0:8000-8002->8000-8002/tcp"), exposed ports nothing publishes as "80/tcp". Ordered
 * by protocol, address and container port.
 */
export function displayPorts(mappings: PortMapping[], exposed: string[] = []): string {
  const sorted = [...mappings].sort(
    (a, b) =>
      a.proto.localeCompare(b.proto) ||
      a.hostIp.localeCompare(b.hostIp) ||
      a.containerPort - b.containerPort,
  );
  const groups: { m: PortMapping; n: number }[] = [];
  for (const m of sorted) {
    const g = groups.at(-1);
    if (
      g &&
      g.m.proto === m.proto &&
      g.m.hostIp === m.hostIp &&
      g.m.containerPort + g.n === m.containerPort &&
      g.m.hostPort + g.n === m.hostPort
    ) {
      g.n++;
    } else groups.push({ m, n: 1 });
  }
  const range = (first: number, n: number) => (n === 1 ? `${first}` : `${first}-${first + n - 1}`);
  const published = new Set(mappings.map((m) => `${m.containerPort}/${m.proto}`));
  return [
    ...groups.map(
      ({ m, n }) =>
        `${shownIp(m.hostIp)}:${range(m.hostPort, n)}->${range(m.containerPort, n)}/${m.proto}`,
    ),
    ...exposed.filter((p) => !published.has(p)).sort(),
  ].join(', ');
}

/**
 * `tsctr port` lines: "80/tcp -> 0.0.0.0:8080", or for one container port its host addresses;
 * docker's error (exit 1) when that port is not published.
 */
export function portLines(mappings: PortMapping[], name: string, want?: string): string[] {
  let port: number | undefined;
  let proto: Proto | undefined;
  if (want !== undefined) {
    const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(want);
    if (!m)
      throw new TsctrError(`Invalid port: ${want}`, {
        hint: 'give PORT or PORT/PROTO, for example 80/tcp',
      });
    port = Number(m[1]);
    proto = (m[2] as Proto | undefined) ?? 'tcp';
  }
  const lines = mappings
    .filter((m) => port === undefined || (m.containerPort === port && m.proto === proto))
    .sort((a, b) => a.containerPort - b.containerPort || a.proto.localeCompare(b.proto))
    .map((m) =>
      want === undefined
        ? `${m.containerPort}/${m.proto} -> ${shownIp(m.hostIp)}:${m.hostPort}`
        : `${shownIp(m.hostIp)}:${m.hostPort}`,
    );
  if (want !== undefined && !lines.length) {
    throw new TsctrError(`No public port '${port}/${proto}' published for ${name}`, {
      exitCode: 1,
    });
  }
  return lines;
}

/**
 * Gives `-p CONTAINER_PORT` mappings a free host port, as docker does at start: one the kernel
 * hands out for port 0 on that address (its ephemeral range), then released for pasta to bind.
 */
export async function chooseHostPorts(mappings: PortMapping[]): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  for (const m of mappings) {
    if (m.hostPort) {
      out.push(m);
      continue;
    }
    const address = m.hostIp || '0.0.0.0';
    const port =
      m.proto === 'tcp'
        ? await new Promise<number>((resolve, reject) => {
            const srv = process.getBuiltinModule('node:net').createServer();
            srv.once('error', reject);
            srv.listen(0, address, () => {
              const a = srv.address();
              srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
            });
          })
        : await new Promise<number>((resolve, reject) => {
            const sock = process
              .getBuiltinModule('node:dgram')
              .createSocket(address.includes(':') ? 'udp6' : 'udp4');
            sock.once('error', reject);
            sock.bind(0, address, () => {
              const port = sock.address().port;
              sock.close(() => resolve(port));
            });
          });
    out.push({ ...m, hostPort: port });
  }
  return out;
}

/**
 * Refuses host ports an unprivileged user may not bind (below
 * net.ipv4.ip_unprivileged_port_start, 1024 by default) before anything is made.
 */
export function checkHostPorts(mappings: PortMapping[], readSysctl: () => string): void {
  const low = mappings.filter((m) => m.hostPort && m.hostPort < 1024);
  if (!low.length) return;
  const start = Number(readSysctl().trim() || '1024');
  const bad = low.find((m) => m.hostPort < start);
  if (!bad) return;
  throw new TsctrError(
    `cannot publish port ${bad.hostPort}: it is below net.ipv4.ip_unprivileged_port_start (${start}), which only root may bind`,
    {
      hint: `publish on a higher host port (-p ${bad.hostPort + 8000}:${bad.containerPort}), or let users bind it: sudo sysctl net.ipv4.ip_unprivileged_port_start=${bad.hostPort}`,
    },
  );
}

function busyError(m: PortMapping): TsctrError {
  return new TsctrError(
    `Bind for ${shownIp(m.hostIp)}:${m.hostPort} failed: port is already allocated`,
    {
      hint: `another program (or container) has ${m.proto} port ${m.hostPort}: publish on another host port, or stop it first`,
    },
  );
}

/**
 * Refuses a host port something already holds, before the container starts: pasta binds both
 * address families and carries on with one, so a taken IPv4 port would go unnoticed.
 */
export async function checkPortsFree(mappings: PortMapping[]): Promise<void> {
  for (const m of mappings) {
    const address = m.hostIp || '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? busyError(m)
            : new TsctrError(`cannot publish ${m.proto} port ${m.hostPort}: ${err.message}`),
        );
      if (m.proto === 'tcp') {
        const srv = process.getBuiltinModule('node:net').createServer();
        srv.once('error', fail);
        srv.listen({ port: m.hostPort, host: address, exclusive: true }, () =>
          srv.close(() => resolve()),
        );
      } else {
        const sock = process
          .getBuiltinModule('node:dgram')
          .createSocket(address.includes(':') ? 'udp6' : 'udp4');
        sock.once('error', fail);
        sock.bind({ port: m.hostPort, address, exclusive: true }, () =>
          sock.close(() => resolve()),
        );
      }
    });
  }
}

/**
 * `--expose` values ("80", "80/udp", "8000-8002") as docker's ExposedPorts keys ("80/tcp").
 */
export function parseExpose(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/i.exec(spec);
  const first = m ? Number(m[1]) : NaN;
  const last = m?.[2] !== undefined ? Number(m[2]) : first;
  if (!m || first < 1 || last > 65535 || last < first) {
    throw new TsctrError(`invalid argument "${spec}" for "--expose" flag: invalid range format`, {
      hint: 'give PORT[/PROTO] or FIRST-LAST[/PROTO], for example 80 or 8000-8010/udp',
    });
  }
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${proto}`);
}

/**
 * `-P`: every exposed port not already published by `-p` gets a host port chosen at create.
 */
export function publishAll(exposed: string[], published: PortMapping[]): PortMapping[] {
  const taken = new Set(published.map((m) => `${m.containerPort}/${m.proto}`));
  return exposed
    .filter((k) => !taken.has(k))
    .map((k) => {
      const [port, proto] = k.split('/');
      return { hostIp: '', hostPort: 0, containerPort: Number(port), proto: proto as Proto };
    });
}
