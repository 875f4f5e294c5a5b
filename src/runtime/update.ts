/**
 * docker update: changes the resource limits of containers, running or not. The record keeps
 * the new values (the next start applies them); a running container with a cgroup gets them
 * written into it at once. Only the flags given change anything, and the result is checked as
 * the daemon checks it, against what was set before.
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { saveContainer } from '../storage/containers.ts';
import {
  NO_RESOURCES,
  resourcesOf,
  storedResources,
  type Resources,
} from '../storage/resources.ts';
import { cgroupOf, deviceNumber } from './cgroups/index.ts';
import { cgroupSettings } from './cgroups/settings.ts';
import { applySettings } from './cgroups/tree.ts';
import { eachContainer, type ItemOutcome } from './lifecycle.ts';
import { parseLimits, type LimitFlags } from './limits/parse.ts';
import { checkLimits } from './limits/policy.ts';

/** Which resource keys each flag sets. */
const KEYS: [keyof LimitFlags, (keyof Resources)[]][] = [
  ['memory', ['Memory']],
  ['memoryReservation', ['MemoryReservation']],
  ['memorySwap', ['MemorySwap']],
  ['cpus', ['NanoCpus']],
  ['cpuShares', ['CpuShares']],
  ['cpuPeriod', ['CpuPeriod']],
  ['cpuQuota', ['CpuQuota']],
  ['cpusetCpus', ['CpusetCpus']],
  ['cpusetMems', ['CpusetMems']],
  ['pidsLimit', ['PidsLimit']],
  ['blkioWeight', ['BlkioWeight']],
];

export async function updateContainers(
  paths: StatePaths,
  inputs: readonly string[],
  flags: LimitFlags,
): Promise<ItemOutcome[]> {
  const given = KEYS.filter(([f]) => flags[f] !== undefined);
  if (!given.length) {
    throw new TsctrError('you must provide one or more flags when using this command', {
      hint: 'for example: tsctr update --memory 256m --cpus 1 CONTAINER',
    });
  }
  const parsed = parseLimits(flags, true);
  await checkLimits(parsed.requested, false);
  return eachContainer(paths, inputs, async (c) => {
    const old = resourcesOf(c.hostConfig);
    const next: Resources = { ...old };
    for (const [, keys] of given) {
      for (const k of keys) (next as unknown as Record<string, unknown>)[k] = parsed.resources[k];
    }
    if (flags.memory !== undefined && flags.memorySwap === undefined) {
      if (old.MemorySwap > 0 && next.Memory > old.MemorySwap) {
        throw new TsctrError(
          `Cannot update container ${c.id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`,
        );
      }
    }
    if (next.MemorySwap > 0 && next.Memory === 0) {
      throw new TsctrError(
        `Cannot update container ${c.id}: You should always set the Memory limit when using Memoryswap limit, see usage`,
      );
    }
    if (next.MemorySwap > 0 && next.MemorySwap < next.Memory) {
      throw new TsctrError(
        `Cannot update container ${c.id}: Minimum memoryswap limit should be larger than memory limit, see usage`,
      );
    }
    if (next.Memory && next.MemoryReservation && next.Memory < next.MemoryReservation) {
      throw new TsctrError(
        `Cannot update container ${c.id}: Minimum memory limit can not be less than memory reservation limit, see usage`,
      );
    }
    if (next.NanoCpus && (next.CpuPeriod || next.CpuQuota)) {
      throw new TsctrError(
        `Cannot update container ${c.id}: Conflicting options: Nano CPUs and CPU ${next.CpuPeriod ? 'Period' : 'Quota'} cannot both be set`,
      );
    }
    const dir = cgroupOf(paths, c.id);
    if (dir) {
      // Only the files of what changed; memory.max before memory.swap.max is what the kernel
      // wants when both shrink, and the order cgroupSettings gives.
      const changed = new Set<string>(given.flatMap(([, k]) => k));
      const files = cgroupSettings(next, deviceNumber).filter((s) =>
        relevant(s.file, changed, old, next),
      );
      applySettings(dir, files);
    }
    for (const k of Object.keys(NO_RESOURCES) as (keyof Resources)[]) delete c.hostConfig[k];
    Object.assign(c.hostConfig, storedResources(next));
    saveContainer(paths, c);
  });
}

/** Whether a cgroup file depends on a key that changed. */
function relevant(file: string, changed: Set<string>, old: Resources, next: Resources): boolean {
  const deps: Record<string, (keyof Resources)[]> = {
    'memory.max': ['Memory'],
    'memory.low': ['MemoryReservation'],
    'memory.swap.max': ['Memory', 'MemorySwap'],
    'cpu.max': ['NanoCpus', 'CpuPeriod', 'CpuQuota'],
    'cpu.weight': ['CpuShares'],
    'cpuset.cpus': ['CpusetCpus'],
    'cpuset.mems': ['CpusetMems'],
    'pids.max': ['PidsLimit'],
    'io.weight': ['BlkioWeight'],
  };
  return (deps[file] ?? []).some((k) => changed.has(k) && old[k] !== next[k]);
}
