/**
 * Whether native overlayfs works rootless on the storage directory: a real test mount with
 * `userxattr` inside the user namespace plus a whiteout in the upper dir (what podman checks),
 * because kernel version alone does not say (backing filesystem, distribution patches, LSMs).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ImageStore } from './store.ts';
import { LayerWriter } from './layer-writer.ts';
import { currentIdMap } from '../userns/idmap.ts';
import type { StatePaths } from '../config/paths.ts';

export async function probeNativeOverlay(
  paths: StatePaths,
): Promise<{ ok: boolean; detail: string }> {
  let writer: LayerWriter | undefined;
  try {
    const scratch = new ImageStore(paths).newTemp();
    for (const d of ['lower', 'upper', 'work', 'merged'])
      mkdirSync(join(scratch, d), { recursive: true });
    const options = `lowerdir=${scratch}/lower,upperdir=${scratch}/upper,workdir=${scratch}/work,userxattr`;
    writer = await LayerWriter.start(currentIdMap());
    await writer.probeOverlay(scratch, options);
    return { ok: true, detail: `yes (test mount on ${paths.root})` };
  } catch (err) {
    return { ok: false, detail: `no (${(err as Error).message})` };
  } finally {
    await writer?.close().catch(() => undefined);
  }
}
