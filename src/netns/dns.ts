/**
 * What a container with a network sees in /etc/resolv.conf and /etc/hosts.
 *
 * resolv.conf: the host's, as docker copies it, but a container cannot reach the host's
 * loopback resolvers (systemd-resolved's 127.0.0.53, a local dnsmasq). Those are followed to
 * systemd-resolved's real servers when it lists them (docker's rule); otherwise the container
 * asks pasta's DNS forwarder, an address pasta maps to the host's first resolver.
 *
 * hosts: `host.containers.internal` and `host.docker.internal` name the host. With pasta that is
 * the gateway address, which pasta maps to the host's loopback.
 */

/** The address pasta answers DNS on for the container (`--dns-forward`), podman's choice. */
export const DNS_FORWARD = '169.254.1.1';

const loopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

function nameservers(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((s): s is string => s !== undefined);
}

/**
 * The container's resolv.conf from the host's (`host`) and systemd-resolved's list of its
 * upstream servers (`resolved`, /run/systemd/resolve/resolv.conf; '' when absent). `only`: the
 * one server to name instead (slirp4netns's forwarder, which asks the host's resolvers itself).
 */
export function containerResolvConf(host: string, resolved: string, only?: string): string {
  const keep = host
    .split('\n')
    .filter((l) => /^\s*(search|domain|options)\s/.test(l))
    .map((l) => l.trim());
  const own = nameservers(host).filter((s) => !loopback(s));
  const upstream = nameservers(resolved).filter((s) => !loopback(s));
  let servers = only ? [only] : own.length ? own : upstream;
  if (!servers.length) servers = [DNS_FORWARD];
  return [...servers.map((s) => `nameserver ${s}`), ...keep, ''].join('\n');
}

/**
 * The host's IPv4 default gateway from /proc/net/route (hex, little-endian), which pasta copies
 * into the container; undefined without a default route.
 */
export function defaultGateway(route: string): string | undefined {
  for (const line of route.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== '00000000' || !f[2] || f[2] === '00000000') continue;
    const n = parseInt(f[2], 16);
    if (!Number.isFinite(n)) continue;
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
  }
  return undefined;
}

/** /etc/hosts lines naming the host, for a container that reaches it through `gateway`. */
export function hostNames(gateway: string | undefined): string {
  return gateway ? `${gateway}\thost.containers.internal host.docker.internal\n` : '';
}
