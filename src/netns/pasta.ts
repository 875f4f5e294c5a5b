/**
 * pasta's command line for a container (the helper contract is native/monitor/net.h): it joins
 * the namespace the monitor hands it as fd 3, configures the container's interface, address and
 * routes as the host's (--config-net), stays in the foreground as the monitor's child, writes
 * its pid once ready, and forwards exactly the published ports: none by default in either
 * direction, as podman runs it (pasta's own default forwards every port in use).
 */
import { TsctrError } from '../errors.ts';
import { whichHelper } from './which.ts';
import { DNS_FORWARD } from './dns.ts';
import type { PortMapping } from './ports.ts';

/** pasta's executable: the first on PATH, then /usr/bin and /usr/sbin. */
export function findPasta(env = process.env): string {
  const found = whichHelper('pasta', env);
  if (found) return found;
  throw new TsctrError('pasta is not installed: it gives containers their network', {
    hint: 'install the passt package (apt install passt, dnf install passt), or run with --network none',
  });
}

/** `-t`/`-u` values: "[ADDRESS/]HOST_PORT:CONTAINER_PORT". */
function forwards(ports: PortMapping[], proto: 'tcp' | 'udp'): string[] {
  const flag = proto === 'tcp' ? '-t' : '-u';
  const mine = ports.filter((p) => p.proto === proto);
  if (!mine.length) return [flag, 'none'];
  return mine.flatMap((p) => [
    flag,
    `${p.hostIp ? `${p.hostIp}/` : ''}${p.hostPort}:${p.containerPort}`,
  ]);
}

export function pastaArgs(opts: {
  ports: PortMapping[];
  pidFile: string;
  /** The interface's name in the namespace (default: the host's). */
  ifname?: string;
  /** The gateway does not lead to the host's loopback (TSCTR_HOST_LOOPBACK=deny). */
  noHostLoopback?: boolean;
}): string[] {
  return [
    ...(opts.noHostLoopback ? ['--no-map-gw'] : []),
    ...(opts.ifname ? ['--ns-ifname', opts.ifname] : []),
    '--config-net',
    '--quiet',
    '--foreground',
    // Root in the container's user namespace; its default would be to become nobody, an id
    // that a user without subordinate ids does not have.
    '--runas',
    '0',
    '--netns',
    '/proc/self/fd/3',
    '--pid',
    opts.pidFile,
    ...forwards(opts.ports, 'tcp'),
    ...forwards(opts.ports, 'udp'),
    '-T',
    'none',
    '-U',
    'none',
    // DNS asked of this address goes to the host's first resolver (src/netns/dns.ts).
    '--dns-forward',
    DNS_FORWARD,
  ];
}
