/**
 * Seccomp profiles in docker's JSON format (`--security-opt seccomp=PROFILE.json`, or tsctr's
 * default in ./seccomp-default.ts), resolved for one container: its capabilities, this machine's
 * architecture and kernel decide which rules apply, as docker does. The result goes into the
 * spec as plain records and native/monitor/security.cc builds the filter with libseccomp.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { TsctrError } from '../../errors.ts';

export interface DockerSeccompArg {
  index: number;
  value: bigint | number;
  valueTwo?: bigint | number;
  op: string;
}

export interface DockerSyscallRule {
  names?: string[];
  /** The old format's single name. */
  name?: string;
  action: string;
  errnoRet?: number;
  args?: DockerSeccompArg[] | null;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
  comment?: string;
}

export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  syscalls?: DockerSyscallRule[] | null;
}

export interface SeccompRule {
  action: string;
  errno: number;
  name: string;
  args: { index: number; op: string; value: bigint; value2: bigint }[];
}

/** What the spec carries: libseccomp's arch names, actions and operators, in lower case. */
export interface CompiledSeccomp {
  defaultAction: string;
  defaultErrno: number;
  arches: string[];
  rules: SeccompRule[];
}

const ACTIONS: Record<string, string> = {
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_KILL: 'kill',
  SCMP_ACT_KILL_THREAD: 'kill',
  SCMP_ACT_KILL_PROCESS: 'kill_process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_LOG: 'log',
};

const OPS: Record<string, string> = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
};

const EPERM = 1;

/** Node's name for this machine → docker's (GOARCH-like) names and libseccomp's. */
const ARCHES: Record<string, { docker: string[]; scmp: string }> = {
  x64: { docker: ['amd64', 'x86_64'], scmp: 'SCMP_ARCH_X86_64' },
  arm64: { docker: ['arm64', 'aarch64'], scmp: 'SCMP_ARCH_AARCH64' },
  ia32: { docker: ['x86', '386'], scmp: 'SCMP_ARCH_X86' },
  arm: { docker: ['arm'], scmp: 'SCMP_ARCH_ARM' },
  s390x: { docker: ['s390x'], scmp: 'SCMP_ARCH_S390X' },
  ppc64: { docker: ['ppc64le'], scmp: 'SCMP_ARCH_PPC64LE' },
  riscv64: { docker: ['riscv64'], scmp: 'SCMP_ARCH_RISCV64' },
};

function profileError(what: string, source: string): TsctrError {
  return new TsctrError(`seccomp profile ${source}: ${what}`, {
    hint: "the profile must be in docker's format (defaultAction, syscalls[].names, .action, .args)",
  });
}

/** Reads a profile file; numbers keep all 64 bits (JSON.parse's reviver sees their source). */
export function readProfile(path: string): DockerSeccompProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TsctrError(`opening seccomp profile (${path}) failed: ${e.code ?? e.message}`, {
      path,
      errno: e.code,
    });
  }
  try {
    const reviver = (_key: string, value: unknown, ctx?: { source?: string }) =>
      typeof value === 'number' &&
      ctx?.source &&
      /^\d+$/.test(ctx.source) &&
      !Number.isSafeInteger(value)
        ? BigInt(ctx.source)
        : value;
    const p = JSON.parse(text, reviver as (k: string, v: unknown) => unknown) as unknown;
    if (
      typeof p !== 'object' ||
      p === null ||
      typeof (p as DockerSeccompProfile).defaultAction !== 'string'
    )
      throw profileError('no defaultAction', path);
    return p as DockerSeccompProfile;
  } catch (err) {
    if (err instanceof TsctrError) throw err;
    throw profileError(`not valid JSON: ${(err as Error).message}`, path);
  }
}

function kernelAtLeast(min: string, have = release()): boolean {
  const parse = (v: string) =>
    v
      .split(/[.-]/)
      .slice(0, 2)
      .map((x) => parseInt(x, 10) || 0);
  const [a = 0, b = 0] = parse(have);
  const [c = 0, d = 0] = parse(min);
  return a > c || (a === c && b >= d);
}

function action(name: string, source: string): string {
  const a = ACTIONS[name];
  if (!a) {
    throw profileError(
      name === 'SCMP_ACT_NOTIFY'
        ? 'SCMP_ACT_NOTIFY needs a listener, which tsctr does not run'
        : `unknown action "${name}"`,
      source,
    );
  }
  return a;
}

/**
 * The rules that apply to a container with `caps` (names without CAP_) on this machine:
 * includes.caps needs every cap named, excludes.caps drops a rule if any is held; arches and
 * minKernel likewise. Calls the profile lists but libseccomp does not know are left to
 * native code, which skips them as runc does.
 */
export function compileProfile(
  profile: DockerSeccompProfile,
  caps: string[],
  opts: { source?: string; arch?: string; kernel?: string } = {},
): CompiledSeccomp {
  const source = opts.source ?? 'default';
  const arch = ARCHES[opts.arch ?? process.arch];
  if (!arch) throw new TsctrError(`seccomp: architecture ${process.arch} is not supported`);
  const held = new Set(caps.map((c) => `CAP_${c}`));
  const defaultErrno = profile.defaultErrnoRet ?? EPERM;
  const defaultAction = action(profile.defaultAction, source);

  let scmpArches: string[] = [];
  const mapped = profile.archMap?.find((m) => m.architecture === arch.scmp);
  if (mapped) scmpArches = [mapped.architecture, ...(mapped.subArchitectures ?? [])];
  else if (profile.architectures?.length) scmpArches = [...profile.architectures];
  if (!scmpArches.includes(arch.scmp)) scmpArches.unshift(arch.scmp);
  const arches = scmpArches.map((a) => a.replace(/^SCMP_ARCH_/, '').toLowerCase());

  const rules: SeccompRule[] = [];
  for (const [i, r] of (profile.syscalls ?? []).entries()) {
    const names = r.names ?? (r.name ? [r.name] : []);
    if (!names.length) throw profileError(`syscalls[${i}] names no syscall`, source);
    const inc = r.includes ?? {};
    const exc = r.excludes ?? {};
    if (inc.caps?.some((c) => !held.has(c))) continue;
    if (exc.caps?.some((c) => held.has(c))) continue;
    if (inc.arches?.length && !inc.arches.some((a) => arch.docker.includes(a))) continue;
    if (exc.arches?.some((a) => arch.docker.includes(a))) continue;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel, opts.kernel)) continue;
    const act = action(r.action, source);
    const errno = act === 'errno' || act === 'trace' ? (r.errnoRet ?? defaultErrno) : 0;
    // A rule that does what the default does adds nothing, and libseccomp refuses it.
    if (act === defaultAction && (act !== 'errno' || errno === defaultErrno)) continue;
    const args = (r.args ?? []).map((a, j) => {
      const op = OPS[a.op];
      if (!op) throw profileError(`syscalls[${i}].args[${j}]: unknown operator "${a.op}"`, source);
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5)
        throw profileError(`syscalls[${i}].args[${j}]: index must be 0-5`, source);
      return { index: a.index, op, value: BigInt(a.value), value2: BigInt(a.valueTwo ?? 0) };
    });
    // docker's reading of several conditions on one argument: any of them (one rule each);
    // conditions on different arguments: all of them (one rule).
    const oneIndex = args.length > 1 && args.every((a) => a.index === args[0]!.index);
    for (const name of names) {
      if (oneIndex) for (const a of args) rules.push({ action: act, errno, name, args: [a] });
      else rules.push({ action: act, errno, name, args });
    }
  }
  return { defaultAction, defaultErrno, arches, rules };
}
