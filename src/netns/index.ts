/**
 * Network modes. Only `none` exists so far: the container gets its own network namespace with
 * nothing in it. Other modes are refused by name rather than silently ignored.
 */
import { TsctrError } from '../errors.ts';

export interface NetworkPlan {
  mode: string;
  /** The container gets a network namespace of its own. */
  ownNetns: boolean;
}

// Every mode `run --network` accepts, with whether it gives the container a namespace of its own.
const MODES = new Map<string, boolean>([['none', true]]);

/** The modes `run --network` accepts, which shell completion offers for it. */
export const networkModes = (): string[] => [...MODES.keys()];

export function planNetwork(mode: string | undefined): NetworkPlan {
  const m = mode ?? 'none';
  const ownNetns = MODES.get(m);
  if (ownNetns !== undefined) return { mode: m, ownNetns };
  throw new TsctrError(`network mode "${m}" is not supported yet`, {
    hint: 'use --network none',
  });
}
