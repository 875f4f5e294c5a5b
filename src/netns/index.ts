/**
 * Network modes. `none`: a network namespace of its own with only loopback. `host`: the host's
 * network. `pasta` and `slirp4netns`: a namespace of its own joined to the outside by that
 * helper, which also publishes `-p` ports; the container's monitor runs it (native/monitor/net.h,
 * arguments from ./pasta.ts and ./slirp.ts). Without --network a container is on `bridge`, the
 * default network (a user network: ./user-networks.ts); where that cannot work (no helper or no
 * iptables), it gets the plan for no mode: pasta (or slirp4netns) to publish ports, else none.
 * `container:NAME`:
 * that container's network namespace, joined by the monitor (with its user namespace, which owns
 * it: native/monitor/joinns.h); the container shares its /etc/hosts and /etc/resolv.conf too, as
 * docker's does. Other modes are refused by name rather than silently ignored.
 */
import { TsctrError } from '../errors.ts';

export interface NetworkPlan {
  mode: string;
  /** The container gets a network namespace of its own. */
  ownNetns: boolean;
  /** What joins that namespace to the outside. */
  helper?: 'pasta' | 'slirp4netns';
  /** A user network: a veth into its bridge in the keeper's namespace (./user-networks.ts). */
  user?: boolean;
  /** container:NAME: the container (name or id) whose network namespace it joins. */
  container?: string;
}

const MODES = new Map<string, Omit<NetworkPlan, 'mode'>>([
  ['none', { ownNetns: true }],
  ['host', { ownNetns: false }],
  ['pasta', { ownNetns: true, helper: 'pasta' }],
  ['slirp4netns', { ownNetns: true, helper: 'slirp4netns' }],
]);

/** The modes `run --network` accepts, which shell completion offers for it. */
export const networkModes = (): string[] => [...MODES.keys()];

/** A mode, not a network's name (`bridge`, docker's default network, is a network). */
export const isNetworkMode = (name: string) => MODES.has(name) || name.startsWith('container:');

/**
 * `hasPasta` says whether pasta is installed; asked only when ports are published without a
 * mode.
 */
export function planNetwork(
  mode: string | undefined,
  publishes = false,
  hasPasta: () => boolean = () => true,
  /** `mode` names a user network (src/storage/networks.ts). */
  isUserNetwork: () => boolean = () => false,
): NetworkPlan {
  if (mode !== undefined && isUserNetwork()) return { mode, ownNetns: true, user: true };
  const m = mode ?? (publishes ? (hasPasta() ? 'pasta' : 'slirp4netns') : 'none');
  if (m.startsWith('container:')) {
    const container = m.slice('container:'.length);
    if (!container) {
      throw new TsctrError('invalid network mode "container:": it needs a container', {
        hint: 'give --network container:NAME (or its ID)',
      });
    }
    if (publishes) {
      throw new TsctrError(
        'conflicting options: port publishing and the container type network mode',
        { hint: `publish the ports on ${container} instead` },
      );
    }
    return { mode: m, ownNetns: false, container };
  }
  const plan = MODES.get(m);
  if (!plan) {
    throw new TsctrError(`network mode "${m}" is not supported yet`, {
      hint: 'use --network none, host, pasta, slirp4netns or container:NAME',
    });
  }
  if (publishes && !plan.helper) {
    throw new TsctrError(`conflicting options: port publishing and the network mode "${m}"`, {
      hint: 'drop -p, or use --network pasta (or slirp4netns)',
    });
  }
  return { mode: m, ...plan };
}
