/**
 * The command table: every verb and docker's alternative spellings, each loaded only when used
 * (no filesystem discovery on the start path).
 */
import type { CommandClass } from './base.ts';

type Loader = () => Promise<{ default: CommandClass }>;

export const commands: Record<string, { load: Loader; summary: string }> = {
  history: {
    load: () => import('../commands/history.ts'),
    summary: 'Show the history of an image',
  },
  'image inspect': {
    load: () => import('../commands/image-inspect.ts'),
    summary: 'Display detailed information on one or more images',
  },
  'image prune': {
    load: () => import('../commands/image-prune.ts'),
    summary: 'Remove unused images',
  },
  images: { load: () => import('../commands/images.ts'), summary: 'List images' },
  info: { load: () => import('../commands/info.ts'), summary: 'Display system-wide information' },
  inspect: {
    load: () => import('../commands/inspect.ts'),
    summary: 'Return low-level information on containers and images',
  },
  load: {
    load: () => import('../commands/load.ts'),
    summary: 'Load an image from a tar archive or STDIN',
  },
  login: { load: () => import('../commands/login.ts'), summary: 'Authenticate to a registry' },
  logout: { load: () => import('../commands/logout.ts'), summary: 'Log out from a registry' },
  ps: { load: () => import('../commands/ps.ts'), summary: 'List containers' },
  pull: { load: () => import('../commands/pull.ts'), summary: 'Download an image from a registry' },
  push: { load: () => import('../commands/push.ts'), summary: 'Upload an image to a registry' },
  rmi: { load: () => import('../commands/rmi.ts'), summary: 'Remove one or more images' },
  run: {
    load: () => import('../commands/run.ts'),
    summary: 'Create and run a new container from an image',
  },
  save: {
    load: () => import('../commands/save.ts'),
    summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  },
  tag: {
    load: () => import('../commands/tag.ts'),
    summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
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
  'image push': 'push',
  'image rm': 'rmi',
  'image remove': 'rmi',
  'image tag': 'tag',
  'image history': 'history',
  'image save': 'save',
  'image load': 'load',
  // Commands that exist only under `image`: the two words are the command's own name.
  'image inspect': 'image inspect',
  'image prune': 'image prune',
  'container ls': 'ps',
  'container list': 'ps',
  'container ps': 'ps',
  'container run': 'run',
  'system info': 'info',
};
