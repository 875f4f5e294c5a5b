/**
 * Which containers use which image, and whether each is running: what decides docker's image
 * delete conflicts (a running container is a hard conflict, any other a soft one) and which
 * layers garbage collection must keep.
 */
import type { StatePaths } from '../config/paths.ts';
import { listContainers, readExit, readState, sameProcess } from '../storage/containers.ts';

export interface ImageUser {
  id: string;
  imageId: string;
  running: boolean;
  /** The diff_ids under its rootfs (absent on containers created before run recorded them). */
  layers: string[] | undefined;
}

export function imageUsers(paths: StatePaths): ImageUser[] {
  return listContainers(paths).map((c) => {
    const state = readState(paths, c.id);
    const running = !readExit(paths, c.id) && !!state && sameProcess(state.pid, state.pidStart);
    return { id: c.id, imageId: c.imageId, running, layers: c.layers };
  });
}
