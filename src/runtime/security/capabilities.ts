/**
 * Capability sets: docker's default set, `--cap-add`/`--cap-drop` (names with or without the
 * CAP_ prefix, any case, and ALL) and `--privileged`. The result is the set the container's
 * process keeps; native code drops the rest from the bounding set (native/monitor/security.cc).
 */
import { readFileSync } from 'node:fs';
import { TsctrError } from '../../errors.ts';

/** <linux/capability.h> numbers, in order. */
export const CAP_NAMES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** docker's default: CapBnd 0x00000000a80425fb. */
export const DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SYS_CHROOT',
  'MKNOD',
  'AUDIT_WRITE',
  'SETFCAP',
];

/** The highest capability this kernel knows (CAP_LAST_CAP); older kernels have fewer. */
export function lastCap(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'latin1').trim());
    if (Number.isInteger(n) && n >= 0) return Math.min(n, CAP_NAMES.length - 1);
  } catch {
    // No /proc: assume the names we know.
  }
  return CAP_NAMES.length - 1;
}

function canonical(name: string, flag: string): string {
  const n = name.trim().toUpperCase().replace(/^CAP_/, '');
  if (n === 'ALL') return n;
  if (!(CAP_NAMES as readonly string[]).includes(n))
    throw new TsctrError(`invalid capability "${name}" in ${flag}`, {
      hint: 'capabilities are named as in capabilities(7), with or without CAP_ (e.g. NET_ADMIN), or ALL',
    });
  return n;
}

/**
 * docker's merge: ALL in --cap-drop empties the default set first, ALL in --cap-add takes every
 * capability, then the named drops and adds apply (an add wins over a drop of the same name).
 */
export function containerCaps(opts: {
  add?: string[];
  drop?: string[];
  privileged?: boolean;
  last?: number;
}): string[] {
  const last = opts.last ?? lastCap();
  const known = CAP_NAMES.slice(0, last + 1) as readonly string[];
  const add = (opts.add ?? []).map((c) => canonical(c, '--cap-add'));
  const drop = (opts.drop ?? []).map((c) => canonical(c, '--cap-drop'));
  if (opts.privileged || add.includes('ALL')) return [...known];
  const set = new Set(drop.includes('ALL') ? [] : DEFAULT_CAPS);
  for (const c of drop) set.delete(c);
  for (const c of add) set.add(c);
  return known.filter((c) => set.has(c));
}

/** The set as the kernel's 64-bit mask, as /proc/PID/status shows it. */
export function capMask(caps: string[]): bigint {
  let m = 0n;
  for (const c of caps) {
    const i = (CAP_NAMES as readonly string[]).indexOf(c);
    if (i >= 0) m |= 1n << BigInt(i);
  }
  return m;
}
