/**
 * The CLI's own termination signals, passed on to the process it runs in the foreground
 * (docker's --sig-proxy): `run`'s container init, or `exec`'s process.
 */
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { TsctrError } from '../errors.ts';

/** docker's signal names and numbers: KILL, SIGKILL, 9. */
export function parseSignal(text: string): number {
  const name = text.toUpperCase().replace(/^SIG/, '');
  const n = /^\d+$/.test(name) ? Number(name) : osConstants.signals[`SIG${name}` as NodeJS.Signals];
  if (!n || n > 64) {
    throw new TsctrError(`Invalid signal: ${text}`, { hint: 'for example KILL, TERM, HUP or 9' });
  }
  return n;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** True when the process has a handler for `signal` (SigCgt in /proc/PID/status). */
function catches(pid: number, signal: number): boolean {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return !!m && (BigInt(`0x${m[1]}`) & (1n << BigInt(signal - 1))) !== 0n;
  } catch {
    return false;
  }
}

/**
 * Forwards the CLI's termination signals to the container's init (or an exec'd process). Installed before the monitor
 * starts so a Ctrl-C that arrives while the container is being set up is not lost (nor kills the
 * CLI): it is delivered as soon as the container's pid is known.
 */
export class SignalForwarder {
  private pid: number | undefined;
  private pending: NodeJS.Signals[] = [];
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  private readonly init: boolean;

  /** `init`: the target is the container's pid 1 (see `deliver`). */
  constructor(opts: { init: boolean }) {
    this.init = opts.init;
    for (const sig of FORWARDED) {
      const h = () => (this.pid === undefined ? this.pending.push(sig) : this.deliver(sig));
      this.handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  started(pid: number): void {
    this.pid = pid;
    for (const sig of this.pending.splice(0)) this.deliver(sig);
  }

  private deliver(sig: NodeJS.Signals): void {
    const pid = this.pid!;
    // The container's init is pid 1 of its namespace: the kernel drops a signal it has no
    // handler for. Ctrl-C (or a TERM) must still stop it, so that becomes SIGKILL.
    const fatal = this.init && (sig === 'SIGINT' || sig === 'SIGTERM');
    try {
      process.kill(pid, fatal && !catches(pid, osConstants.signals[sig]) ? 'SIGKILL' : sig);
    } catch {
      // Already gone; the monitor reports the exit.
    }
  }

  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
}
