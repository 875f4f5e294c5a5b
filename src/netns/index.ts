/**
 * Network modes. `none`: a network namespace of its own with only loopback. `host`: the host's
 * network. `pasta` and `slirp4netns`: a namespace of its own joined to the outside by that
 * helper, which also publishes `-p` ports; the container's monitor runs it (native/monitor/net.h,
 * arguments from ./pasta.ts and ./slirp.ts). Without --network a container gets `none`, or, when
 * it publishes ports, pasta where it is installed and slirp4netns otherwise. Other modes are
 * refused by name rather than silently ignored.
 */
import { TsctrError } from '../errors.ts';

export interface NetworkPlan {
  mode: string;
  /** The container gets a network namespace of its own. */
  ownNetns: boolean;
  /** What joins that namespace to the outside. */
  helper?: 'pasta' | 'slirp4netns';
}

const MODES = new Map<string, Omit<NetworkPlan, 'mode'>>([
  ['none', { ownNetns: true }],
  ['host', { ownNetns: false }],
  ['pasta', { ownNetns: true, helper: 'pasta' }],
  ['slirp4netns', { ownNetns: true, helper: 'slirp4netns' }],
]);

/** The modes `run --network` accepts, which shell completion offers for it. */
export const networkModes = (): string[] => [...MODES.keys()];

/**
 * `hasPasta` says whether pasta is installed; asked only when ports are published without a
 * mode.
 */
export function planNetwork(
  mode: string | undefined,
  publishes = false,
  hasPasta: () => boolean = () => true,
): NetworkPlan {
  const m = mode ?? (publishes ? (hasPasta() ? 'pasta' : 'slirp4netns') : 'none');
  const plan = MODES.get(m);
  if (!plan) {
    throw new TsctrError(`network mode "${m}" is not supported yet`, {
      hint: 'use --network none, host, pasta or slirp4netns',
    });
  }
  if (publishes && !plan.helper) {
    throw new TsctrError(`conflicting options: port publishing and the network mode "${m}"`, {
      hint: 'drop -p, or use --network pasta (or slirp4netns)',
    });
  }
  return { mode: m, ...plan };
}
