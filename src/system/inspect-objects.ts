/**
 * The top-level `inspect`: each name is looked up as docker's CLI does, first as a container,
 * then as an image, then as a network, unless `--type` says which; "No such object: X" when it
 * is none. Other docker object types (volumes, …) are refused by name.
 */
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore } from '../storage/store.ts';
import { inspectImage, type InspectResults } from '../images/inspect.ts';
import { lookupImage, noSuchImage } from '../images/resolve.ts';
import { inspectContainer, lookupContainer, noSuchContainer } from '../runtime/inspect.ts';
import { inspectNetworkNamed } from '../runtime/networks.ts';

export const OBJECT_TYPES = [
  'config',
  'container',
  'image',
  'network',
  'node',
  'plugin',
  'secret',
  'service',
  'task',
  'volume',
] as const;

/** Checks `--type` before anything is looked up, with docker's messages. */
export function checkObjectType(type: string | undefined): void {
  if (type === undefined || type === 'container' || type === 'image' || type === 'network') return;
  const list = `"${OBJECT_TYPES.join('", "')}"`;
  if (type === '') throw new TsctrError(`type is empty: must be one of ${list}`);
  if (!(OBJECT_TYPES as readonly string[]).includes(type)) {
    throw new TsctrError(`unknown type: ${JSON.stringify(type)}: must be one of ${list}`);
  }
  throw new TsctrError(`inspect --type ${type} is not supported yet`, {
    hint: 'it inspects containers, images and networks',
  });
}

export function inspectObjects(
  paths: StatePaths,
  inputs: readonly string[],
  type: string | undefined,
): InspectResults {
  checkObjectType(type);
  const store = new ImageStore(paths);
  const images = store.listImages();
  const layerDiff = (d: string) => join(store.layerDir(d), 'diff');
  const out: InspectResults = { values: [], errors: [] };
  const one = (input: string): Record<string, unknown> => {
    if (type === 'network') {
      const n = inspectNetworkNamed(paths, input);
      if (!n) throw new TsctrError(`network ${input} not found`, { hint: 'see tsctr network ls' });
      return n;
    }
    if (type !== 'image') {
      const c = lookupContainer(paths, input);
      if (c) return inspectContainer(paths, c, layerDiff);
      if (type === 'container') throw noSuchContainer(input);
    }
    let rec;
    try {
      rec = lookupImage(images, input);
    } catch (err) {
      // docker skips a name that is no valid image reference when the type is open.
      if (type === 'image') throw err;
    }
    if (rec) return inspectImage(rec, layerDiff);
    if (type === 'image') throw noSuchImage(input);
    const n = inspectNetworkNamed(paths, input);
    if (n) return n;
    throw new TsctrError(`No such object: ${input}`, {
      hint: "see 'tsctr ps -a' and 'tsctr images'",
    });
  };
  for (const input of inputs) {
    try {
      out.values.push(one(input));
    } catch (err) {
      if (!(err instanceof TsctrError)) throw err;
      out.errors.push(err);
    }
  }
  return out;
}
