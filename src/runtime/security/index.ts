/**
 * A container's confinement, decided from its flags: the capability set, no_new_privs, the
 * seccomp filter and the /proc and /sys paths hidden or frozen. `run` and `exec` both ask here,
 * so an exec'd process is held exactly as the container's first one.
 */
import { TsctrError } from '../../errors.ts';
import { capMask, containerCaps } from './capabilities.ts';
import { compileProfile, readProfile, type CompiledSeccomp } from './seccomp.ts';
import { defaultProfile } from './seccomp-default.ts';

export interface SecurityFlags {
  capAdd?: string[] | undefined;
  capDrop?: string[] | undefined;
  securityOpt?: string[] | undefined;
  privileged?: boolean | undefined;
}

export interface Security {
  /** Capability names (without CAP_) the process keeps in its bounding set. */
  caps: string[];
  /** bounding, effective, permitted, inheritable: the masks the spec's `caps` record carries. */
  capSets: [bigint, bigint, bigint, bigint];
  noNewPrivs: boolean;
  seccomp: CompiledSeccomp | undefined;
  /** False with --privileged or systempaths=unconfined: /proc and /sys as the namespace has them. */
  maskPaths: boolean;
}

interface ParsedOpts {
  noNewPrivs: boolean;
  seccomp: 'default' | 'unconfined' | { path: string };
  systemPaths: boolean;
}

/** docker's --security-opt forms: `key=value`, and the older `key:value`. */
export function parseSecurityOpts(opts: string[]): ParsedOpts {
  const out: ParsedOpts = { noNewPrivs: false, seccomp: 'default', systemPaths: true };
  for (const raw of opts) {
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(raw);
    const key = m?.[1];
    const value = m?.[2];
    if (key === 'no-new-privileges') {
      if (value === undefined || value === 'true') out.noNewPrivs = true;
      else if (value === 'false') out.noNewPrivs = false;
      else throw badOpt(raw, 'no-new-privileges takes true or false');
    } else if (key === 'seccomp' && value) {
      out.seccomp = value === 'unconfined' ? 'unconfined' : { path: value };
    } else if (key === 'systempaths' && value === 'unconfined') {
      out.systemPaths = false;
    } else if (
      (key === 'apparmor' && value === 'unconfined') ||
      (key === 'label' && value === 'disable')
    ) {
      // tsctr applies neither AppArmor nor SELinux: asking for none of it is already met.
    } else if (key === 'apparmor' || key === 'label') {
      throw new TsctrError(
        `--security-opt ${raw}: tsctr applies no ${key === 'label' ? 'SELinux label' : 'AppArmor profile'}`,
        {
          hint: 'remove the option; the container is confined by its user namespace, capabilities and seccomp',
        },
      );
    } else {
      throw badOpt(
        raw,
        'supported: no-new-privileges[=true|false], seccomp=unconfined|PROFILE.json, systempaths=unconfined',
      );
    }
  }
  return out;
}

function badOpt(raw: string, hint: string): TsctrError {
  return new TsctrError(`invalid --security-opt: "${raw}"`, { hint });
}

/**
 * What `create` checks before it records the flags: the options, the capability names and a
 * profile file. Docker's default profile is known to compile and is compiled at start only
 * (compiling it here too cost `run` ~1 ms).
 */
export function checkSecurity(flags: SecurityFlags): void {
  const opts = parseSecurityOpts(flags.securityOpt ?? []);
  const caps = containerCaps({
    add: flags.capAdd,
    drop: flags.capDrop,
    privileged: flags.privileged,
  });
  if (!flags.privileged && typeof opts.seccomp === 'object')
    compileProfile(readProfile(opts.seccomp.path), caps, { source: opts.seccomp.path });
}

export function resolveSecurity(flags: SecurityFlags, uid: number): Security {
  const opts = parseSecurityOpts(flags.securityOpt ?? []);
  const caps = containerCaps({
    add: flags.capAdd,
    drop: flags.capDrop,
    privileged: flags.privileged,
  });
  const mask = capMask(caps);
  // A non-root user keeps none in effect or permitted, as with docker; exec of a file with
  // capabilities still reaches up to the bounding set.
  const held = uid === 0 ? mask : 0n;
  let seccomp: CompiledSeccomp | undefined;
  if (!flags.privileged && opts.seccomp !== 'unconfined') {
    seccomp =
      opts.seccomp === 'default'
        ? compileProfile(defaultProfile(), caps)
        : compileProfile(readProfile(opts.seccomp.path), caps, { source: opts.seccomp.path });
  }
  return {
    caps,
    capSets: [mask, held, held, 0n],
    noNewPrivs: opts.noNewPrivs,
    seccomp,
    maskPaths: !flags.privileged && opts.systemPaths,
  };
}
