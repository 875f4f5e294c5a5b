/**
 * The one error type of tsctr. Domain code throws it; only the top level (src/main.ts) prints it,
 * once, as `Error: <message>` followed by the hint, and exits with `exitCode`.
 *
 * Exit codes follow docker: 125 tsctr itself failed (bad flag, bad reference, pull failed),
 * 126 the container command cannot be invoked, 127 it was not found.
 */
export const ExitCode = {
  Failed: 125,
  CannotInvoke: 126,
  NotFound: 127,
} as const;

export interface ErrorDetail {
  /** What the user can do about it, printed on its own line. */
  hint?: string;
  /** Process exit code; 125 unless said otherwise. */
  exitCode?: number;
  /** The failing system call, its errno name (ENOENT) and the path involved, when there is one. */
  syscall?: string;
  errno?: string;
  path?: string;
  cause?: unknown;
}

// Each command is bundled into its own file (scripts/build.mjs), each with its own copy of this
// class; the top level must still recognise them all, so `instanceof TsctrError` checks a
// brand shared through the global symbol registry.
const BRAND = Symbol.for('tsctr.TsctrError');

export class TsctrError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TsctrError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && BRAND in value;
  }

  readonly hint: string | undefined;
  readonly exitCode: number;
  readonly syscall: string | undefined;
  readonly errno: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, detail: ErrorDetail = {}) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.name = 'TsctrError';
    Object.defineProperty(this, BRAND, { value: true });
    this.hint = detail.hint;
    this.exitCode = detail.exitCode ?? ExitCode.Failed;
    this.syscall = detail.syscall;
    this.errno = detail.errno;
    this.path = detail.path;
  }
}

/** Wraps a Node system error (fs, net, child_process) with what tsctr was doing. */
export function fromSystemError(what: string, err: unknown, hint?: string): TsctrError {
  if (err instanceof TsctrError) return err;
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? ` ${e.path}` : '';
  const why = e.code ? `${e.syscall ?? 'operation'}${where}: ${e.code}` : String(e?.message ?? e);
  return new TsctrError(`${what}: ${why}`, {
    hint,
    syscall: e.syscall,
    errno: e.code,
    path: e.path,
    cause: err,
  });
}

/** The text the top level prints for any error, thrown by tsctr or not. */
export function describeError(err: unknown): { text: string; exitCode: number } {
  if (err instanceof TsctrError) {
    const hint = err.hint ? `\nHint: ${err.hint}` : '';
    return { text: `Error: ${err.message}${hint}`, exitCode: err.exitCode };
  }
  const sys = err as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (typeof sys?.code === 'string' && typeof sys.syscall === 'string') {
    // A system call that failed where tsctr did not expect it (the store's directory made
    // read-only, a full disk): what and where, as `mkdir /x: permission denied`, not a stack.
    const what = /^[A-Z0-9_]+: ([^,]+)/.exec(sys.message)?.[1] ?? sys.code;
    // rename, link, copyfile name two paths.
    const where = (sys.path ? ` ${sys.path}` : '') + (sys.dest ? ` -> ${sys.dest}` : '');
    const hint = systemHint(sys.code);
    return {
      text: `Error: ${sys.syscall}${where}: ${what}${hint ? `\nHint: ${hint}` : ''}`,
      exitCode: ExitCode.Failed,
    };
  }
  const e = err as Error;
  return { text: `Error: ${e?.stack ?? String(err)}`, exitCode: ExitCode.Failed };
}

/** What to do about an errno that is the machine's trouble rather than tsctr's input. */
export function systemHint(code: string | undefined): string | undefined {
  return code === undefined ? undefined : SYSTEM_HINTS[code];
}

const SYSTEM_HINTS: Record<string, string> = {
  EACCES:
    'check the owner and permissions of that path and its parents; tsctr keeps images under --root (TSCTR_ROOT, default ~/.local/share/tsctr)',
  EPERM: 'check the owner and permissions of that path and its parents',
  ENOSPC: 'the filesystem is full; `tsctr image prune` removes dangling images',
  EDQUOT: 'your disk quota is used up; `tsctr image prune` removes dangling images',
  EROFS: 'the filesystem is mounted read-only',
};

/**
 * "no such file or directory" for 2: what went wrong in words, as Go's tools (docker, podman)
 * print it, for messages built from a native errno.
 */
export function errnoMessage(n: number): string {
  try {
    return process.getBuiltinModule('node:util').getSystemErrorMessage(-n);
  } catch {
    return errnoName(n);
  }
}

/** ENOENT for 2: the name Node and the man pages use, for messages built from a native errno. */
export function errnoName(n: number): string {
  // Looked up only when needed: loading node:os costs every command start-up a little.
  const errno = process.getBuiltinModule('node:os').constants.errno;
  for (const [name, value] of Object.entries(errno)) if (value === n) return name;
  return `errno ${n}`;
}
