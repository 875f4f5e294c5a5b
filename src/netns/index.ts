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

export function planNetwork(mode: string | undefined): NetworkPlan {
  const m = mode ?? 'none';
  if (m === 'none') return { mode: m, ownNetns: true };
  throw new TsctrError(`network mode "${m}" is not supported yet`, {
    hint: 'use --network none',
  });
}
