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
