/**
 * Network modes. `none`: a network namespace of its own with only loopback. `host`: the host's
 * network. `pasta`: a namespace of its own joined to the outside by pasta (passt's namespace
 * mode), which also publishes `-p` ports; the container's monitor runs it (native/monitor/net.h,
 * arguments from ./pasta.ts). Without --network a container gets `none`, or `pasta` when it
 * publishes ports. Other modes are refused by name rather than silently ignored.
 */
import { TsctrError } from '../errors.ts';

export interface NetworkPlan {
  mode: string;
  /** The container gets a network namespace of its own. */
  ownNetns: boolean;
  /** What joins that namespace to the outside. */
  helper?: 'pasta';
}

const MODES = new Map<string, Omit<NetworkPlan, 'mode'>>([
  ['none', { ownNetns: true }],
  ['host', { ownNetns: false }],
  ['pasta', { ownNetns: true, helper: 'pasta' }],
]);

/** The modes `run --network` accepts, which shell completion offers for it. */
export const networkModes = (): string[] => [...MODES.keys()];

export function planNetwork(mode: string | undefined, publishes = false): NetworkPlan {
  const m = mode ?? (publishes ? 'pasta' : 'none');
  const plan = MODES.get(m);
  if (!plan) {
    throw new TsctrError(`network mode "${m}" is not supported yet`, {
      hint: 'use --network none, host or pasta',
    });
  }
  if (publishes && !plan.helper) {
    throw new TsctrError(`conflicting options: port publishing and the network mode "${m}"`, {
      hint: 'drop -p, or use --network pasta',
    });
  }
  return { mode: m, ...plan };
}
