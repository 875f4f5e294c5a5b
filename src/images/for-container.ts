/**
 * The image a container is made from, as docker's `run` gets it: found locally the way every
 * command finds an image (./resolve.ts: full ID, then name, then ID prefix), otherwise pulled;
 * then its layers checked. The runtime calls this through the function the command hands it.
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import {
  familiarName,
  parseCanonical,
  parseReference,
  withDefaultTag,
} from '../registry/reference.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import type { PullEvent } from './pull.ts';
import { lookupImage } from './resolve.ts';
import { pullModule } from './pull-ref.ts';

export interface ImageForContainer {
  paths: StatePaths;
  /** The image as the user typed it. */
  input: string;
  onPull?: ((e: PullEvent) => void) | undefined;
  onNotice?: ((text: string) => void) | undefined;
  /** docker's --pull: missing (default), always, never. */
  pull?: string | undefined;
}

export async function imageForContainer(opts: ImageForContainer): Promise<ImageRecord> {
  const store = new ImageStore(opts.paths);
  const policy = opts.pull ?? 'missing';
  if (!['missing', 'always', 'never'].includes(policy)) {
    throw new TsctrError(
      `invalid pull option: '${policy}': must be one of "always", "missing" or "never"`,
    );
  }
  let image = policy === 'always' ? undefined : lookupImage(store.listImages(), opts.input);
  if (!image && policy === 'never') {
    throw new TsctrError(`No such image: ${opts.input}`, {
      hint: 'pull it first, or drop --pull never',
    });
  }
  if (!image) {
    const ref = withDefaultTag(parseReference(opts.input));
    if (policy === 'missing')
      opts.onNotice?.(`Unable to find image '${familiarName(ref)}' locally`);
    // The registry client (undici) costs ~45 ms to load: only a run that must pull pays it.
    const { pullImage } = await pullModule();
    image = await pullImage(opts.input, { paths: opts.paths, onEvent: opts.onPull });
  }
  checkLayers(store, image, opts.input);
  return image;
}

/**
 * Refuses an image whose layers are gone, or suspect: committed unsynced before a crash, so
 * their files may be empty (storage/durability.ts). pull and load import those again. Layers
 * still unsynced (their pull was killed before its background sync) are synced now.
 */
function checkLayers(store: ImageStore, image: ImageRecord, name: string): void {
  const unsynced: string[] = [];
  for (const d of image.layers) {
    const state = store.layerState(d);
    if (state === 'unsynced') unsynced.push(d);
    if (state !== 'missing' && state !== 'suspect') continue;
    // A pulled image's record names the registry it came from; a loaded one's does not.
    const source = image.names[0] ?? image.digests[0];
    throw new TsctrError(
      state === 'missing'
        ? `layer ${d} of image ${name} is missing from the store`
        : `layer ${d} of image ${name} may be incomplete: the machine went down before it was written to disk`,
      {
        hint:
          image.digests.length && source
            ? `pull the image again to repair it: tsctr pull ${familiarName(parseCanonical(source))}`
            : 'load the image again to repair it: tsctr load -i ARCHIVE',
      },
    );
  }
  store.syncLater(unsynced);
}
