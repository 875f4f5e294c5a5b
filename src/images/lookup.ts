/**
 * Finding a local image the way docker does: by full or short ID (hex prefix, with or without
 * "sha256:"), by name (normalised, "latest" implied) or by name@digest.
 */
import { ImageStore, type ImageRecord } from '../storage/store.ts';
import { canonicalName, parseReference, withDefaultTag } from '../registry/reference.ts';

export function findImage(store: ImageStore, input: string): ImageRecord | undefined {
  const images = store.listImages();
  const hex = input.startsWith('sha256:') ? input.slice(7) : input;
  if (/^[0-9a-f]{4,64}$/.test(hex)) {
    const byId = images.filter((i) => i.id.slice(7).startsWith(hex));
    if (byId.length === 1) return byId[0];
  }
  let ref;
  try {
    ref = withDefaultTag(parseReference(input));
  } catch {
    return undefined;
  }
  if (ref.digest) {
    const want = `${ref.domain}/${ref.path}@${ref.digest}`;
    return images.find((i) => i.digests.includes(want));
  }
  const name = canonicalName(ref);
  return images.find((i) => i.names.includes(name));
}
