/**
 * Runs the host programs that Node itself starts off the hot path: docker-credential-* helpers,
 * xz and bzip2. execa does the process handling (stdin from a string or a stream, stdout as text
 * or as a stream, a deadline, the program killed when tsctr exits first); this file turns its
 * failures into a TsctrError that says what tsctr was doing, the command, its exit status or
 * signal and the end of its stderr, and what to install or check.
 *
 * execa is imported on first use: evaluating it costs about 20 ms of a process (README,
 * "Dependencies"), so a command pays that only when it runs a program; the bundles that carry it
 * unused (run, pull, load, push, login, logout) start about 2 ms later. For the same reason
 * newuidmap/newgidmap (src/userns/idmap.ts) and the detached sync at the end of pull and load
 * (src/storage/durability.ts), which run on every such command, stay on node:child_process.
 */
import { existsSync } from 'node:fs';
import type { Options, Result } from 'execa';
import { TsctrError } from '../errors.ts';

export interface Program {
  /** A name looked up in PATH (env.PATH when env is given), or a path. */
  file: string;
  args: readonly string[];
  /** What tsctr was doing, for messages: "reading xz-compressed data". */
  purpose: string;
  /** The Debian and Ubuntu package that provides `file`, named when it is missing. */
  package?: string;
  /** The program's whole environment; default: tsctr's own. */
  env?: NodeJS.ProcessEnv;
  /** Added to every hint: where the program is configured, say. */
  hint?: string;
}

/** How a program failed, for a caller that words some failures itself. */
export type Failure =
  | { kind: 'missing'; command: string; error: unknown }
  /** Found but not started: EACCES, or ENOENT for a missing #! interpreter. */
  | { kind: 'unrunnable'; command: string; errno: string; error: unknown }
  | {
      kind: 'exit';
      command: string;
      exitCode: number;
      stdout: string;
      stderr: string;
      error: unknown;
    }
  | {
      kind: 'signal';
      command: string;
      signal: string;
      stdout: string;
      stderr: string;
      error: unknown;
    }
  | { kind: 'timeout'; command: string; timeoutMs: number; error: unknown }
  | { kind: 'other'; command: string; message: string; error: unknown };

/**
 * A caller's own error for some failures (docker's wording, or a data error that its caller
 * words); undefined leaves the failure to the standard wording.
 */
export type Explain = (f: Failure) => Error | undefined;

export interface RunOptions {
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Killed (SIGKILL) after this long, pipes abandoned; a TsctrError says it timed out. */
  timeoutMs?: number;
  /** Resolve with a non-zero exit status or a signal: a protocol that reports through them. */
  statusIsResult?: boolean;
  explain?: Explain;
}

export interface Outcome {
  /** undefined when a signal ended it. */
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/** Runs `p` to completion and returns its output; a failure is a TsctrError (see RunOptions). */
export async function runProgram(p: Program, opts: RunOptions = {}): Promise<Outcome> {
  const { execa } = await import('execa');
  const deadline = opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs);
  const sub = execa(p.file, p.args, {
    ...environment(p.env),
    ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
    cancelSignal: deadline,
    killSignal: 'SIGKILL',
    reject: false,
  });
  // A grandchild that inherited the pipes (a daemon the program started) would keep them open,
  // and execa waits for them: past the deadline they are given up with the program.
  sub.once('exit', () => {
    if (!deadline?.aborted) return;
    sub.stdout?.destroy();
    sub.stderr?.destroy();
  });
  const r = await sub;
  if (!r.failed) {
    return { exitCode: 0, signal: undefined, stdout: text(r.stdout), stderr: text(r.stderr) };
  }
  const f = failureOf(p, r, deadline?.aborted ? opts.timeoutMs : undefined);
  if (opts.statusIsResult && (f.kind === 'exit' || f.kind === 'signal')) {
    return {
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: text(r.stdout),
      stderr: text(r.stderr),
    };
  }
  throw opts.explain?.(f) ?? programError(p, f);
}

/**
 * Runs `p` as a filter: `input` to its stdin, its stdout as the chunks the pipe delivers (Buffers
 * of up to 64 KiB). The exit status is awaited before the stream is declared complete, so a
 * program that wrote some output and then failed (damaged input) ends the stream in an error;
 * a consumer that stops early has the program killed.
 */
export async function* filterThrough(
  p: Program,
  input: AsyncIterable<Buffer>,
  opts: { explain?: Explain } = {},
): AsyncGenerator<Buffer> {
  const { execa } = await import('execa');
  // When the input itself fails (a download cut short), the program then complains of truncated
  // input; the input's own error is the one worth reporting.
  let inputFailure: { err: unknown } | undefined;
  async function* feed(): AsyncGenerator<Buffer> {
    try {
      yield* input;
    } catch (err) {
      inputFailure = { err };
      throw err;
    }
  }
  const sub = execa(p.file, p.args, {
    ...environment(p.env),
    stdin: feed(),
    buffer: { stdout: false },
    encoding: 'buffer',
    stripFinalNewline: false,
  });
  // Never rejects, so that a consumer that stops early leaves no unhandled rejection behind.
  const ended = sub.then(
    () => undefined,
    (err: unknown) => err,
  );
  let complete = false;
  try {
    try {
      yield* sub.stdout as AsyncIterable<Buffer>;
    } catch (streamErr) {
      // A broken stdout pipe says less than how the program ended.
      if ((await ended) === undefined) throw streamErr;
    }
    const err = await ended;
    if (inputFailure) throw inputFailure.err;
    if (err !== undefined) {
      const f = failureOf(p, err as Result, undefined);
      throw opts.explain?.(f) ?? programError(p, f);
    }
    complete = true;
  } finally {
    // The consumer stopped early or failed: the program must not outlive the stream.
    if (!complete) sub.kill();
  }
}

/** A program left running past tsctr's exit: see startDetached. */
export interface Detached {
  pid: number;
  /** Settles when the program ends, with how it ended; never rejects. */
  ended: Promise<Failure>;
  /** Lets it run on alone: tsctr stops reading its stderr and no longer waits for it. */
  leave(): void;
}

/**
 * Starts `p` in a session of its own, with / as its directory and stdin and stdout on
 * /dev/null, to outlive tsctr (systemd-run's scope holder, src/runtime/cgroups/systemd.ts).
 * Its stderr is read until leave(), for the message if it ends first.
 */
export async function startDetached(p: Program): Promise<Detached> {
  const { execa } = await import('execa');
  const sub = execa(p.file, p.args, {
    ...environment(p.env),
    cwd: '/',
    detached: true,
    cleanup: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: false,
    reject: false,
  });
  let stderr = '';
  sub.stderr?.setEncoding('utf8');
  sub.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 65536) stderr += chunk;
  });
  sub.stderr?.on('error', () => undefined);
  const ended = sub.then(
    (r) => failureOf(p, { ...r, stderr } as Result, undefined),
    (err: unknown) => failureOf(p, { ...(err as Result), stderr } as Result, undefined),
  );
  await new Promise<void>((resolve) => {
    if (sub.pid !== undefined) resolve();
    sub.once('spawn', () => resolve());
    sub.once('error', () => resolve());
  });
  if (sub.pid === undefined) throw programError(p, await ended);
  return {
    pid: sub.pid,
    ended,
    leave() {
      sub.stderr?.destroy();
      sub.unref();
    },
  };
}

/** The standard wording of a failure. */
export function programError(p: Program, f: Failure): TsctrError {
  const name = p.file.slice(p.file.lastIndexOf('/') + 1);
  const hint = (own: string | undefined) =>
    [own, p.hint].filter((h) => h !== undefined && h !== '').join('; ') || undefined;
  const cause = f;
  switch (f.kind) {
    case 'missing':
      return new TsctrError(`${p.purpose} needs the ${name} program`, {
        hint: hint(
          p.package
            ? `install it (Debian and Ubuntu: apt install ${p.package})`
            : `install ${name} on $PATH`,
        ),
        cause,
      });
    case 'unrunnable':
      return new TsctrError(`${p.purpose}: cannot run ${p.file}: ${f.errno}`, {
        hint: hint(
          f.errno === 'ENOENT'
            ? `${p.file} exists, but the interpreter on its #! line does not`
            : f.errno === 'EACCES'
              ? `${p.file} is not executable by you: check its mode and its directory's`
              : `check that ${p.file} is an executable program`,
        ),
        errno: f.errno,
        cause,
      });
    case 'exit':
      return new TsctrError(
        `${p.purpose}: \`${f.command}\` exited with status ${f.exitCode}${colon(lastLines(f.stderr))}`,
        { hint: hint(`run \`${f.command}\` yourself to see all of its output`), cause },
      );
    case 'signal':
      return new TsctrError(
        `${p.purpose}: \`${f.command}\` was killed by ${f.signal}${colon(lastLines(f.stderr))}`,
        {
          hint: hint(
            f.signal === 'SIGKILL'
              ? 'the kernel kills with SIGKILL when memory runs out: see `dmesg` or `journalctl -k`'
              : `run \`${f.command}\` yourself to see why`,
          ),
          cause,
        },
      );
    case 'timeout':
      return new TsctrError(
        `${p.purpose}: \`${f.command}\` did not finish within ${f.timeoutMs / 1000} s`,
        { hint: hint(`run \`${f.command}\` yourself to see what it waits for`), cause },
      );
    case 'other':
      return new TsctrError(`${p.purpose}: ${f.message}`, { hint: hint(undefined), cause });
  }
}

/** Whether `err` says a program was not found (on $PATH, or at its path). */
export function isProgramMissing(err: unknown): boolean {
  const cause = (err as { cause?: Partial<Failure> } | undefined)?.cause;
  return cause?.kind === 'missing';
}

/** The last `n` non-empty lines of a program's output, joined into one line. */
export function lastLines(output: string, n = 3): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines
    .slice(-n)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l))
    .join('; ');
}

const colon = (s: string) => (s ? `: ${s}` : '');

/** With `env`, exactly that environment, as node:child_process takes it; else tsctr's. */
function environment(env: NodeJS.ProcessEnv | undefined): Options {
  return env ? { env, extendEnv: false } : {};
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array)
    return Buffer.from(v.buffer, v.byteOffset, v.length).toString('utf8');
  return '';
}

function failureOf(p: Program, r: Result, timeoutMs: number | undefined): Failure {
  const command = r.escapedCommand;
  const error: unknown = r;
  if (timeoutMs !== undefined && r.isCanceled)
    return { kind: 'timeout', command, timeoutMs, error };
  const code = (r as { code?: string }).code;
  if (r.exitCode === undefined && r.signal === undefined && typeof code === 'string') {
    // spawn says ENOENT both for a program that is not there and for a script whose #!
    // interpreter is not: only the first is "install it".
    if (code === 'ENOENT' && !found(p.file, p.env ?? process.env)) {
      return { kind: 'missing', command, error };
    }
    return { kind: 'unrunnable', command, errno: code, error };
  }
  const stdout = text(r.stdout);
  const stderr = text(r.stderr);
  if (r.signal !== undefined)
    return { kind: 'signal', command, signal: r.signal, stdout, stderr, error };
  if (r.exitCode !== undefined && r.exitCode !== 0) {
    return { kind: 'exit', command, exitCode: r.exitCode, stdout, stderr, error };
  }
  const message = (r as { shortMessage?: string }).shortMessage ?? `\`${command}\` failed`;
  return { kind: 'other', command, message: message.replace(/\n/g, ': '), error };
}

/** Whether `file` exists where spawn would look for it, as execvp(3) searches PATH. */
function found(file: string, env: NodeJS.ProcessEnv): boolean {
  if (file.includes('/')) return existsSync(file);
  return (env.PATH ?? '').split(':').some((dir) => existsSync(`${dir || '.'}/${file}`));
}
