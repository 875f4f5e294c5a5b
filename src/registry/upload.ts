/**
 * Uploading to a registry (distribution spec v2, "Pushing"): blob existence checks, cross-
 * repository mounts, blob uploads and manifests.
 *
 * A blob goes up in one of two ways:
 * - small (at most one chunk): POST to open a session, then one PUT `?digest=` with the whole
 *   content (the spec's monolithic upload, which every registry must accept);
 * - larger: PATCHes of one chunk each, with `Content-Range: <first>-<last>` (inclusive, no
 *   unit), then an empty PUT `?digest=`. The registry answers each step with the session's
 *   next `Location` (distribution packs its state into it, so the newest one must be used) and
 *   `Range: 0-<last byte it has>`. A registry that kept less than was sent, or a chunk lost to
 *   a network error or refused with 416, is resumed from what the registry says it has (a GET
 *   on the session), a few times at most.
 */
import type { Readable } from 'node:stream';
import { TsctrError } from '../errors.ts';
import {
  header,
  RegistryHttpError,
  RegistryNetworkError,
  type RegistryClient,
  type RegistryResponse,
} from './client.ts';

/** Content of a blob by byte range (both ends inclusive), opened again for each attempt. */
export type BlobSource = (start: number, end: number) => Readable;

export interface BlobToUpload {
  digest: string;
  size: number;
  open: BlobSource;
}

export interface UploadOptions {
  /** Bytes per PATCH; the registry's OCI-Chunk-Min-Length raises it. */
  chunkSize?: number;
  /** An upload session already open (a mount the registry answered with 202). */
  location?: string;
}

export const DEFAULT_CHUNK_SIZE = 16 << 20;
/** Times a chunked upload is resumed after a lost or refused chunk. */
const RESUMES = 3;

/** The token scope a push needs on `repo`. */
export function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

/**
 * A `Location` header resolved against the URL it answered: absolute locations are kept;
 * relative ones are resolved (RFC 3986) and returned as a path when the request was a path on
 * the registry, as the client takes paths relative to its base URL.
 */
export function resolveLocation(location: string, requestUrl: string): string {
  if (/^https?:\/\//i.test(location)) return location;
  const placeholder = 'http://registry.invalid';
  const absolute = /^https?:\/\//i.test(requestUrl);
  const resolved = new URL(location, absolute ? requestUrl : placeholder + requestUrl);
  return absolute ? resolved.href : resolved.pathname + resolved.search;
}

/** The location with `name=value` set in its query, keeping what the registry put there. */
export function withQuery(location: string, name: string, value: string): string {
  const absolute = /^https?:\/\//i.test(location);
  const url = new URL(location, 'http://registry.invalid');
  url.searchParams.set(name, value);
  return absolute ? url.href : url.pathname + url.search;
}

/**
 * How many bytes a registry says an upload holds, from its `Range: 0-<last>` header (some
 * write `bytes=0-<last>`). distribution writes "0-0" for an empty session as well as for one
 * byte, so "0-0" counts as empty; undefined when the header is absent or malformed.
 */
export function uploadedBytes(range: string | undefined): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(range?.trim() ?? '');
  if (!m) return undefined;
  const last = Number(m[1]);
  return last === 0 ? 0 : last + 1;
}

/** The inclusive byte ranges of `size` bytes cut into chunks of `chunkSize`, from `from` on. */
export function chunkRanges(size: number, chunkSize: number, from = 0): [number, number][] {
  if (chunkSize <= 0) throw new RangeError('chunk size must be positive');
  const out: [number, number][] = [];
  for (let start = from; start < size; start += chunkSize) {
    out.push([start, Math.min(size, start + chunkSize) - 1]);
  }
  return out;
}

/** Whether `repo` already has the blob (HEAD). */
export async function blobExists(
  client: RegistryClient,
  repo: string,
  digest: string,
): Promise<boolean> {
  const res = await client.fetch('HEAD', `/v2/${repo}/blobs/${digest}`, {}, pushScope(repo));
  await res.body.dump();
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw await client.failure(res, `blob ${digest} of ${client.registry}/${repo}`);
}

export type MountResult = { mounted: true } | { mounted: false; location?: string };

/**
 * Asks the registry to link a blob of another repository on it into `repo`. 201 means done;
 * 202 means it would not (the answer opens an ordinary upload session, whose location is
 * returned); a refusal (no read access to `from`, mounts unsupported) is no failure: the blob
 * is then uploaded.
 */
export async function mountBlob(
  client: RegistryClient,
  repo: string,
  digest: string,
  from: string,
): Promise<MountResult> {
  const query = new URLSearchParams({ mount: digest, from });
  let res: RegistryResponse;
  try {
    res = await client.fetch(
      'POST',
      `/v2/${repo}/blobs/uploads/?${query}`,
      { 'content-length': '0' },
      `${pushScope(repo)} repository:${from}:pull`,
    );
  } catch (err) {
    if (err instanceof RegistryHttpError) return { mounted: false };
    throw err;
  }
  await res.body.dump();
  if (res.status === 201) return { mounted: true };
  const location = header(res.headers, 'location');
  if (res.status === 202 && location) {
    return { mounted: false, location: resolveLocation(location, `/v2/${repo}/blobs/uploads/`) };
  }
  return { mounted: false };
}

interface Session {
  location: string;
  chunkMin: number;
}

async function openSession(client: RegistryClient, repo: string): Promise<Session> {
  const path = `/v2/${repo}/blobs/uploads/`;
  const res = await client.fetch('POST', path, { 'content-length': '0' }, pushScope(repo));
  if (res.status !== 202) throw await client.failure(res, `upload to ${client.registry}/${repo}`);
  await res.body.dump();
  return {
    location: nextLocation(res, path, `upload to ${client.registry}/${repo}`),
    chunkMin: Number(header(res.headers, 'oci-chunk-min-length')) || 0,
  };
}

function nextLocation(res: RegistryResponse, requestUrl: string, what: string): string {
  const location = header(res.headers, 'location');
  if (!location) {
    throw new RegistryHttpError(
      `${what}: the registry answered without a Location`,
      res.status,
      res.headers,
    );
  }
  return resolveLocation(location, requestUrl);
}

/** Uploads one blob into `repo` and checks that the registry stored it under its digest. */
export async function uploadBlob(
  client: RegistryClient,
  repo: string,
  blob: BlobToUpload,
  opts: UploadOptions = {},
): Promise<void> {
  const what = `upload of ${blob.digest} to ${client.registry}/${repo}`;
  const session = opts.location
    ? { location: opts.location, chunkMin: 0 }
    : await openSession(client, repo);
  const chunkSize = Math.max(opts.chunkSize ?? DEFAULT_CHUNK_SIZE, session.chunkMin);
  let location = session.location;
  let body: (() => Readable) | undefined;
  let length = 0;
  if (blob.size <= chunkSize) {
    if (blob.size > 0) body = () => blob.open(0, blob.size - 1);
    length = blob.size;
  } else {
    location = await sendChunks(client, repo, blob, location, chunkSize, what);
  }
  const url = withQuery(location, 'digest', blob.digest);
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'content-length': String(length),
  };
  const res = await client.fetch('PUT', url, headers, pushScope(repo), body);
  if (res.status !== 201 && res.status !== 204) throw await client.failure(res, what);
  await res.body.dump();
  const stored = header(res.headers, 'docker-content-digest');
  if (stored && stored !== blob.digest) {
    throw new TsctrError(`${what}: the registry stored it as ${stored}`, {
      hint: 'the blob in the local store does not match its name; pull the image again',
    });
  }
}

/** PATCHes the blob chunk by chunk; returns the session's last location. */
async function sendChunks(
  client: RegistryClient,
  repo: string,
  blob: BlobToUpload,
  start: string,
  chunkSize: number,
  what: string,
): Promise<string> {
  let location = start;
  let offset = 0;
  let resumes = 0;
  while (offset < blob.size) {
    const [first, last] = chunkRanges(blob.size, chunkSize, offset)[0]!;
    let res: RegistryResponse | undefined;
    try {
      res = await client.fetch(
        'PATCH',
        location,
        {
          'content-type': 'application/octet-stream',
          'content-range': `${first}-${last}`,
          'content-length': String(last - first + 1),
        },
        pushScope(repo),
        () => blob.open(first, last),
      );
    } catch (err) {
      if (!(err instanceof RegistryNetworkError) || resumes >= RESUMES) throw err;
    }
    if (res?.status === 202) {
      await res.body.dump();
      location = nextLocation(res, location, what);
      const has = uploadedBytes(header(res.headers, 'range'));
      // A registry that does not say keeps what it was sent.
      const next = has ?? last + 1;
      if (next > last + 1 || next < first) {
        throw new RegistryHttpError(
          `${what}: the registry reports ${next} bytes after receiving bytes ${first}-${last}`,
          202,
          res.headers,
        );
      }
      if (next < last + 1) resumes++;
      offset = next;
      if (resumes > RESUMES) throw new TsctrError(`${what}: the registry keeps losing chunks`);
      continue;
    }
    if (res && res.status !== 416) throw await client.failure(res, what);
    if (res) await res.body.dump();
    if (resumes++ >= RESUMES)
      throw new TsctrError(`${what}: the registry refused chunk ${first}-${last}`);
    ({ location, offset } = await uploadStatus(client, repo, location, what));
    if (offset > blob.size) {
      throw new TsctrError(`${what}: the registry holds more bytes than the blob has`);
    }
  }
  return location;
}

/** GET on an upload session: where to go on. */
async function uploadStatus(
  client: RegistryClient,
  repo: string,
  location: string,
  what: string,
): Promise<{ location: string; offset: number }> {
  const res = await client.fetch('GET', location, {}, pushScope(repo));
  if (res.status !== 204 && res.status !== 200) throw await client.failure(res, what);
  await res.body.dump();
  const offset = uploadedBytes(header(res.headers, 'range'));
  if (offset === undefined) {
    throw new RegistryHttpError(
      `${what}: the registry did not say how much it has`,
      res.status,
      res.headers,
    );
  }
  const next = header(res.headers, 'location');
  return { location: next ? resolveLocation(next, location) : location, offset };
}

/** PUTs a manifest under `reference` (a tag); returns the digest the registry computed. */
export async function putManifest(
  client: RegistryClient,
  repo: string,
  reference: string,
  body: Buffer,
  mediaType: string,
): Promise<string | undefined> {
  const res = await client.fetch(
    'PUT',
    `/v2/${repo}/manifests/${reference}`,
    { 'content-type': mediaType, 'content-length': String(body.length) },
    pushScope(repo),
    body,
  );
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
    throw await client.failure(res, `manifest for ${client.registry}/${repo}:${reference}`);
  }
  await res.body.dump();
  return header(res.headers, 'docker-content-digest');
}
