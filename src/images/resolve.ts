/**
 * Finding the image a command names, in the order dockerd's GetImage tries: a full
 * "sha256:<hex>" ID, then a reference (name[:tag] or name@digest, ":latest" implied), then a
 * unique prefix of an image ID. Not found is docker's "No such image: busybox:latest" (the
 * reference with its implied tag, in familiar form).
 */
import { TsctrError } from '../errors.ts';
import type { StatePaths } from '../config/paths.ts';
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import {
  canonicalName,
  familiarName,
  parseReference,
  quickCanonical,
  withDefaultTag,
  type ImageReference,
} from '../registry/reference.ts';

const FULL_ID = /^(?:sha256:)?([0-9a-f]{64})$/;

/** The canonical reference string stored in records: "docker.io/library/busybox:latest". */
export function recordRef(ref: ImageReference): string {
  return ref.digest ? `${ref.domain}/${ref.path}@${ref.digest}` : canonicalName(ref);
}

export function noSuchImage(input: string): TsctrError {
  const full = FULL_ID.exec(input);
  const shown = full ? `sha256:${full[1]}` : familiarName(withDefaultTag(parseReference(input)));
  return new TsctrError(`No such image: ${shown}`, {
    hint: "see 'tsctr images' for the images present",
  });
}

export function isNoSuchImage(err: unknown): boolean {
  return err instanceof TsctrError && err.message.startsWith('No such image: ');
}

/** The image `input` names, or undefined; throws only for a malformed reference. */
export function lookupImage(
  images: readonly ImageRecord[],
  input: string,
): ImageRecord | undefined {
  const full = FULL_ID.exec(input);
  if (full) return images.find((i) => i.id === `sha256:${full[1]}`);
  const quick = quickCanonical(input);
  const byName = quick === undefined ? undefined : images.find((i) => i.names.includes(quick));
  if (byName) return byName;
  const ref = withDefaultTag(parseReference(input));
  const want = recordRef(ref);
  const byRef = images.find((i) => (ref.digest ? i.digests : i.names).includes(want));
  if (byRef) return byRef;
  const hex = input.startsWith('sha256:') ? input.slice(7) : input;
  if (/^[0-9a-f]+$/.test(hex)) {
    const byId = images.filter((i) => i.id.slice(7).startsWith(hex));
    if (byId.length === 1) return byId[0];
  }
  return undefined;
}

/** The image `input` names; throws docker's "No such image" when there is none. */
export function resolveImage(images: readonly ImageRecord[], input: string): ImageRecord {
  const found = lookupImage(images, input);
  if (!found) throw noSuchImage(input);
  return found;
}

/** dockerd's isImageIDPrefix: `input` is a prefix of the ID, with or without "sha256:". */
export function isIdPrefix(id: string, input: string): boolean {
  return id.startsWith(input) || id.slice(id.indexOf(':') + 1).startsWith(input);
}

/**
 * For `ps --filter ancestor=`: the ID of the image an input names, looked up as every command
 * looks an image up, or undefined (a malformed name too: it names no image). The store is
 * listed once, on first use.
 */
export function imageIdFinder(paths: StatePaths): (input: string) => string | undefined {
  let images: readonly ImageRecord[] | undefined;
  return (input) => {
    images ??= new ImageStore(paths).listImages();
    try {
      return lookupImage(images, input)?.id;
    } catch {
      return undefined;
    }
  };
}
