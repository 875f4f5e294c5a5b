/**
 * `tag SOURCE TARGET`: adds a name to a local image, as docker's client and daemon check it:
 * both must parse ("Error parsing reference: "X" is not a valid repository/tag: …"), the target
 * may not carry a digest nor be named "sha256", and gets ":latest" when it has no tag. A tag
 * names one image, so the target moves off any image that had it (which may become <none>).
 */
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore } from '../storage/store.ts';
import {
  canonicalName,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from '../registry/reference.ts';
import { resolveImage } from './resolve.ts';

function parseOrExplain(input: string): ImageReference {
  try {
    return parseReference(input);
  } catch (err) {
    if (!(err instanceof TsctrError)) throw err;
    throw new TsctrError(
      `Error parsing reference: ${JSON.stringify(input)} is not a valid repository/tag: ${err.message}`,
      { hint: err.hint },
    );
  }
}

export async function tagImage(paths: StatePaths, source: string, target: string): Promise<void> {
  // docker's ParseAnyReference also takes a bare 64-hex image ID, which is no valid name.
  if (!/^(sha256:)?[0-9a-f]{64}$/.test(source)) parseOrExplain(source);
  const parsed = parseOrExplain(target);
  if (parsed.digest) {
    throw new TsctrError('refusing to create a tag with a digest reference', {
      hint: 'give the target a tag, not a digest, for example app:1.0',
    });
  }
  const ref = withDefaultTag(parsed);
  if (repositoryName(ref) === 'sha256') {
    throw new TsctrError('refusing to create an ambiguous tag using digest algorithm as name', {
      hint: 'choose another repository name',
    });
  }
  const store = new ImageStore(paths);
  await store.withRecordLock(() => {
    const rec = resolveImage(store.listImages(), source);
    store.saveImage({
      ...rec,
      names: [canonicalName(ref)],
      digests: [],
      lastTagTime: new Date().toISOString(),
    });
  });
}
