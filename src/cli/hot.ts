/**
 * The commands bundled into the entry point itself (src/main.ts) instead of files of their own:
 * what a user runs many times a day and expects at once. In the single binary they are compiled
 * from the code cache it carries. `stats` is one of them because a script polls
 * `stats --no-stream`: loading its own bundle was a sixth of that under emulation.
 */
export const HOT_IDS = ['container:ls', 'container:stats', 'image:ls', 'version'] as const;
export type HotId = (typeof HOT_IDS)[number];
