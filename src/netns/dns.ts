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

import { TsctrError } from '../errors.ts';
import type { NetworkPlan } from './index.ts';
import { SLIRP_HOST } from './slirp.ts';

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
export function containerResolvConf(
  host: string,
  resolved: string,
  only?: string,
  flags: DnsFlags = {},
): string {
  const lines = host.split('\n').map((l) => l.trim());
  const own = nameservers(host).filter((s) => !loopback(s));
  const upstream = nameservers(resolved).filter((s) => !loopback(s));
  let servers = flags.dns?.length ? flags.dns : only ? [only] : own.length ? own : upstream;
  if (!servers.length) servers = [DNS_FORWARD];
  // --dns-search replaces the host's search list ("." for none), --dns-option its options.
  const search = flags.search?.length
    ? flags.search.filter((d) => d !== '.').length
      ? [`search ${flags.search.filter((d) => d !== '.').join(' ')}`]
      : []
    : lines.filter((l) => /^(search|domain)\s/.test(l));
  const options = flags.options?.length
    ? [`options ${flags.options.join(' ')}`]
    : lines.filter((l) => /^options\s/.test(l));
  return [...servers.map((s) => `nameserver ${s}`), ...search, ...options, ''].join('\n');
}

/** --dns, --dns-search, --dns-option (docker's HostConfig Dns, DnsSearch, DnsOptions). */
export interface DnsFlags {
  dns?: string[] | undefined;
  search?: string[] | undefined;
  options?: string[] | undefined;
}

/**
 * --add-host lines for /etc/hosts, docker's `host-gateway` replaced by the address the container
 * reaches the host at (undefined: it has none, and create refused such a line).
 */
export function extraHosts(entries: string[], hostAddress: string | undefined): string {
  return entries
    .map((h) => {
      const i = h.indexOf(':');
      const ip = h.slice(i + 1);
      return `${ip === 'host-gateway' ? (hostAddress ?? ip) : ip}\t${h.slice(0, i)}\n`;
    })
    .join('');
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

/**
 * Where a container on `net` reaches the host: slirp4netns's 10.0.2.2, pasta's copy of the
 * host's default gateway (`route`: /proc/net/route), the host itself on its own network;
 * undefined without a way out.
 */
export function hostAddress(net: NetworkPlan, route: () => string): string | undefined {
  if (net.helper === 'slirp4netns') return SLIRP_HOST;
  if (net.helper === 'pasta') return defaultGateway(route());
  return net.ownNetns ? undefined : '127.0.0.1';
}

/**
 * Whether containers may reach services on the host's loopback (host.containers.internal).
 * tsctr allows it, as docker's host-gateway does and podman does not by default;
 * TSCTR_HOST_LOOPBACK=deny turns it off (pasta --no-map-gw, slirp4netns
 * --disable-host-loopback, no host proxy, no host names in /etc/hosts).
 */
export function hostLoopbackAllowed(env = process.env): boolean {
  const v = env.TSCTR_HOST_LOOPBACK;
  if (v === undefined || v === '' || v === 'allow') return true;
  if (v === 'deny') return false;
  throw new TsctrError(`TSCTR_HOST_LOOPBACK=${v}: want allow or deny`);
}

/** /etc/hosts lines naming the host, for a container that reaches it through `gateway`. */
export function hostNames(gateway: string | undefined): string {
  return gateway ? `${gateway}\thost.containers.internal host.docker.internal\n` : '';
}
