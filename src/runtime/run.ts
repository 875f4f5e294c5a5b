/**
 * `run`: create the container (./create.ts), then start it (./start.ts) in the foreground or
 * detached. With `--rm` the monitor itself removes the container after it ends, so even a CLI
 * killed halfway leaves nothing behind.
 */
import { rmSync } from 'node:fs';
import { containerDirs, removeNameFile } from '../storage/containers.ts';
import { createContainer, type CreateOptions } from './create.ts';
import { startContainer } from './start.ts';
import type { AttachIo } from './attach.ts';

export interface RunOptions extends CreateOptions {
  /** `-d`: start the container and return; its output goes to its log file. */
  detach?: boolean | undefined;
  /** Without -d: the streams the container's stdio is copied to and from. */
  io?: AttachIo | undefined;
  /** --sig-proxy (default true): the CLI's signals go to the container. */
  sigProxy?: boolean | undefined;
}

/** A foreground run's exit code (docker's), or a detached container's ID. */
export type RunResult = { exitCode: number } | { detached: string };

export async function runContainer(opts: RunOptions): Promise<RunResult> {
  const c = await createContainer({ ...opts, attached: !opts.detach });

  try {
    const r = await startContainer(
      opts.paths,
      c,
      opts.detach || !opts.io
        ? { detach: true }
        : { detach: false, io: opts.io, sigProxy: opts.sigProxy, onNotice: opts.onNotice },
    );
    return 'exitCode' in r ? r : { detached: r.detached };
  } catch (err) {
    // As docker, a container that failed to start stays (status Created) unless --rm. The
    // monitor already removed it if it got that far; if not, its upper dir is still empty and
    // ours, so plain removal works.
    if (opts.rm) {
      const dirs = containerDirs(opts.paths, c.id);
      rmSync(dirs.run, { recursive: true, force: true });
      rmSync(dirs.storage, { recursive: true, force: true });
      removeNameFile(opts.paths, c.name);
    }
    throw err;
  }
}
