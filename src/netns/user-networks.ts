/**
 * User networks' policy (the mechanism is native/monitor/keeper.h): what the keeper runs, the
 * requests a container's monitor sends it, addresses, names. One bridge per network in a
 * per-user network namespace, veth pairs into containers, NAT through the keeper's pasta or
 * slirp4netns on tap0, and each container's /etc/hosts naming the others on its networks.
 */
import { TsctrError } from '../errors.ts';
import { whichHelper } from './which.ts';

/** The keeper's way out: pasta's and slirp4netns's interface in its namespace. */
export const OUT_IFNAME = 'tap0';

/** Where the keeper's host proxy listens inside its namespace (nothing else listens there). */
export const HOST_PROXY_PORT = 65000;

/**
 * The NAT rules the keeper runs once: everything leaving through the helper takes its address,
 * and TCP to the host's address (`hostIp`, what host.containers.internal names) goes to the
 * keeper's host proxy instead, which connects to the host's loopback with splice(2) (forward.h):
 * slirp4netns moved 0.55 GB/s that way, the proxy the loopback's own speed.
 */
export function natCommands(hostIp: string, env = process.env): string[][] {
  const iptables = whichHelper('iptables', env);
  if (!iptables) {
    throw new TsctrError('iptables is not installed: user networks need it for their way out', {
      hint: 'install the iptables package, or use --network pasta (a network of the container its own)',
    });
  }
  return [
    [iptables, '-t', 'nat', '-A', 'POSTROUTING', '-o', OUT_IFNAME, '-j', 'MASQUERADE'],
    [
      iptables,
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-p',
      'tcp',
      '-d',
      hostIp,
      '-j',
      'REDIRECT',
      '--to-ports',
      String(HOST_PROXY_PORT),
    ],
  ];
}

/** docker's MAC for an address: 02:42 and its four bytes (sent to the keeper in each JOIN). */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(
    ':',
  );
}

/** The host end of a container's veth on its Nth network (15 characters at most). */
export const vethName = (id: string, index: number) => `veth${id.slice(0, 9)}${index.toString(16)}`;

export interface JoinRequest {
  bridge: string;
  gateway: string;
  prefix: number;
  ip: string;
  ifname: string;
  veth: string;
  /** The default route goes through this network's gateway (the first network that has a way out). */
  route: boolean;
  id: string;
  /** Its interface's MAC (./user-networks.ts macFor, as the endpoint records it). */
  mac: string;
  /** What the other members' /etc/hosts call it: name, short id, aliases. */
  names: string[];
}

export function joinLine(r: JoinRequest): string {
  const fields = [
    'JOIN',
    r.bridge,
    r.gateway,
    String(r.prefix),
    r.ip,
    r.ifname,
    r.veth,
    r.route ? '1' : '0',
    r.id,
    r.mac,
    r.names.join(' '),
  ];
  if (fields.some((f) => /[\t\n]/.test(f))) throw new Error('tab or newline in a JOIN field');
  return fields.join('\t');
}
