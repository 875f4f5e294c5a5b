/**
 * slirp4netns's command line for a container, the fallback where pasta is missing (the helper
 * contract is native/monitor/net.h). It joins the namespace on fd 3, configures tap0 as
 * 10.0.2.100/24 with the gateway 10.0.2.2 (the host's loopback, as slirp maps it) and the DNS
 * forwarder 10.0.2.3, says it is ready on fd 4, and exits at EOF on fd 5. Published ports are
 * added through its API socket once it is ready (add_hostfwd, one request a port).
 */
import { TsctrError } from '../errors.ts';
import { whichHelper } from './which.ts';
import type { PortMapping } from './ports.ts';

/** Where the container reaches the host's loopback and its resolver, slirp4netns's defaults. */
export const SLIRP_HOST = '10.0.2.2';
export const SLIRP_DNS = '10.0.2.3';

/** The API socket, relative to the helper's working directory (the container's run dir). */
export const SLIRP_API = 'slirp.sock';

export function findSlirp4netns(env = process.env): string {
  const found = whichHelper('slirp4netns', env);
  if (found) return found;
  throw new TsctrError('slirp4netns is not installed: it gives containers their network', {
    hint: 'install the passt package (pasta) or slirp4netns, or run with --network none',
  });
}

export function slirpArgs(opts: { noHostLoopback?: boolean } = {}): string[] {
  return [
    ...(opts.noHostLoopback ? ['--disable-host-loopback'] : []),
    '--configure',
    '--mtu=65520',
    '--netns-type=path',
    '--ready-fd=4',
    '--exit-fd=5',
    '--api-socket',
    SLIRP_API,
    '/proc/self/fd/3',
    'tap0',
  ];
}

/** One add_hostfwd request line a published port. */
export function slirpRequests(ports: PortMapping[]): string[] {
  return ports.map((p) =>
    JSON.stringify({
      execute: 'add_hostfwd',
      arguments: {
        proto: p.proto,
        host_addr: p.hostIp || '0.0.0.0',
        host_port: p.hostPort,
        guest_port: p.containerPort,
      },
    }),
  );
}
