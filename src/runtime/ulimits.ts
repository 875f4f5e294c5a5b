/**
 * docker's --ulimit NAME=SOFT[:HARD] (-1: unlimited), kept in HostConfig.Ulimits and set with
 * setrlimit(2) in the container's process before its ids change (native/monitor/container.cc).
 */
import { TsctrError } from '../errors.ts';

/** Linux's RLIMIT_* numbers (the same on every architecture tsctr builds for). */
export const RLIMITS: Record<string, number> = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
  locks: 10,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
  rttime: 15,
};

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export function parseUlimit(value: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(value);
  if (!m) {
    throw new TsctrError(`invalid ulimit argument: ${value}`, {
      hint: 'for example nofile=1024:2048',
    });
  }
  const name = m[1]!;
  if (!(name in RLIMITS)) throw new TsctrError(`invalid ulimit type: ${name}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  const cap = (n: number) => (n < 0 ? Infinity : n);
  if (cap(soft) > cap(hard)) {
    throw new TsctrError(
      `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`,
    );
  }
  return { Name: name, Soft: soft, Hard: hard };
}

/** The spec's `rlimit` records: -1 is RLIM_INFINITY. */
export function rlimitRecords(limits: readonly Ulimit[]): string[] {
  const v = (n: number) => (n < 0 ? (2n ** 64n - 1n).toString() : String(n));
  return limits.flatMap((l) => ['rlimit', String(RLIMITS[l.Name]), v(l.Soft), v(l.Hard)]);
}

/** The name of an RLIMIT_* number, for errors. */
export function rlimitName(n: number): string {
  return Object.entries(RLIMITS).find(([, v]) => v === n)?.[0] ?? String(n);
}
