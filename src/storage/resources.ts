/**
 * docker's HostConfig resource keys, as a container's record keeps them (only those that differ
 * from these defaults) and `inspect` shows them (all of them). Units are docker's: bytes,
 * billionths of a CPU (NanoCpus), microseconds (CpuPeriod, CpuQuota).
 */
export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

/** docker's HostConfig.Resources, the part tsctr knows. */
export interface Resources {
  Memory: number;
  MemoryReservation: number;
  MemorySwap: number;
  NanoCpus: number;
  CpuShares: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpusetCpus: string;
  CpusetMems: string;
  PidsLimit: number | null;
  BlkioWeight: number;
  BlkioDeviceReadBps: ThrottleDevice[];
  BlkioDeviceWriteBps: ThrottleDevice[];
  BlkioDeviceReadIOps: ThrottleDevice[];
  BlkioDeviceWriteIOps: ThrottleDevice[];
  OomKillDisable: boolean;
}

export const NO_RESOURCES: Resources = {
  Memory: 0,
  MemoryReservation: 0,
  MemorySwap: 0,
  NanoCpus: 0,
  CpuShares: 0,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpusetCpus: '',
  CpusetMems: '',
  PidsLimit: null,
  BlkioWeight: 0,
  BlkioDeviceReadBps: [],
  BlkioDeviceWriteBps: [],
  BlkioDeviceReadIOps: [],
  BlkioDeviceWriteIOps: [],
  OomKillDisable: false,
};

/** Every key of a record's HostConfig, with docker's defaults where it keeps none. */
export function resourcesOf(hostConfig: Partial<Resources>): Resources {
  const out = { ...NO_RESOURCES };
  for (const k of Object.keys(NO_RESOURCES) as (keyof Resources)[]) {
    if (hostConfig[k] !== undefined) (out as Record<string, unknown>)[k] = hostConfig[k];
  }
  return out;
}

/** The keys a record keeps: those that differ from docker's defaults. */
export function storedResources(r: Resources): Partial<Resources> {
  return Object.fromEntries(
    Object.entries(r).filter(
      ([k, v]) => JSON.stringify(v) !== JSON.stringify(NO_RESOURCES[k as keyof Resources]),
    ),
  );
}
