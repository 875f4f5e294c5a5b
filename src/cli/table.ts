/**
 * The command table: every verb and docker's alternative spellings, each loaded only when used
 * (no filesystem discovery on the start path).
 */
import type { CommandClass } from './base.ts';

type Loader = () => Promise<{ default: CommandClass }>;

export const commands: Record<string, { load: Loader; summary: string }> = {
  images: { load: () => import('../commands/images.ts'), summary: 'List images' },
  info: { load: () => import('../commands/info.ts'), summary: 'Display system-wide information' },
  ps: { load: () => import('../commands/ps.ts'), summary: 'List containers' },
  pull: { load: () => import('../commands/pull.ts'), summary: 'Download an image from a registry' },
  run: {
    load: () => import('../commands/run.ts'),
    summary: 'Create and run a new container from an image',
  },
  version: {
    load: () => import('../commands/version.ts'),
    summary: 'Show the tsctr version information',
  },
};

/** docker's management-command spellings ("image ls") mapped to the verb. */
export const aliases: Record<string, string> = {
  'image ls': 'images',
  'image list': 'images',
  'image pull': 'pull',
  'container ls': 'ps',
  'container list': 'ps',
  'container ps': 'ps',
  'container run': 'run',
  'system info': 'info',
};
