/**
 * Manifest media types and platform choice (OCI image spec, Docker schema2).
 */
import { TsctrError } from '../errors.ts';

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The order containers/image sends (schema1 left out: we refuse it). */
export const manifestAccept = [
  MediaType.OciManifest,
  MediaType.DockerManifest,
  MediaType.DockerList,
  MediaType.OciIndex,
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export type AnyManifest =
  { kind: 'image'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

/** Classifies a manifest body by its Content-Type, falling back to its own mediaType field. */
export function classifyManifest(
  body: Buffer,
  contentType: string | undefined,
  ref: string,
): AnyManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new TsctrError(`manifest for ${ref} is not valid JSON`);
  }
  const type = (
    contentType?.split(';')[0]?.trim() ||
    (doc.mediaType as string) ||
    ''
  ).toLowerCase();
  if (
    type === MediaType.DockerSchema1 ||
    type === MediaType.DockerSchema1Signed ||
    doc.schemaVersion === 1
  ) {
    throw new TsctrError(`${ref} uses the Docker image manifest schema 1, which is not supported`, {
      hint: 'schema 1 was deprecated in 2017; push the image again with a current docker or podman',
    });
  }
  if (
    type === MediaType.OciIndex ||
    type === MediaType.DockerList ||
    Array.isArray(doc.manifests)
  ) {
    if (!Array.isArray(doc.manifests)) throw new TsctrError(`index for ${ref} has no manifests`);
    return { kind: 'index', index: doc as unknown as ImageIndex };
  }
  const m = doc as unknown as ImageManifest;
  if (!m.config?.digest || !Array.isArray(m.layers)) {
    throw new TsctrError(
      `manifest for ${ref} has no config or layers (media type ${type || 'unknown'})`,
    );
  }
  return { kind: 'image', manifest: m };
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const archOfNode: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

export function hostPlatform(): Platform {
  const architecture = archOfNode[process.arch] ?? process.arch;
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') {
    // containers/image reads the CPU architecture from /proc/cpuinfo; Node reports it too.
    const v = (process.config.variables as { arm_version?: string }).arm_version;
    return { os: 'linux', architecture, variant: `v${v ?? '7'}` };
  }
  return { os: 'linux', architecture };
}

/** Parses `--platform os/arch[/variant]` as docker does (os defaults to linux when omitted). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length === 1 && parts[0]) parts.unshift('linux');
  const [os, arch, variant, ...rest] = parts;
  if (!os || !arch || rest.length || (variant !== undefined && !variant)) {
    throw new TsctrError(`"${text}": unknown operating system or architecture: invalid argument`, {
      hint: 'use os/arch[/variant], e.g. linux/amd64 or linux/arm/v7',
    });
  }
  const architecture = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64' }[arch] ?? arch;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** Whether an image config is for `want` (a variant, when asked for, must match too). */
export function platformMatches(
  config: { os?: string; architecture?: string; variant?: string },
  want: Platform,
): boolean {
  if (config.os !== want.os || config.architecture !== want.architecture) return false;
  return (
    !want.variant ||
    !config.variant ||
    normVariant(config.variant, want.architecture) === normVariant(want.variant, want.architecture)
  );
}

/** arm64's only variant is v8, so "" and "v8" are the same platform there. */
function normVariant(v: string | undefined, arch: string): string {
  return arch === 'arm64' && !v ? 'v8' : (v ?? '');
}

/**
 * The variants acceptable for a wanted one, best first, as containers/image orders them: an
 * ARM v7 host runs v6 and v5 images too; a missing variant is the last resort.
 */
function variantPreference(want: Platform): (string | undefined)[] {
  if (!want.variant) return [undefined];
  if (want.architecture === 'arm') {
    const n = Number(want.variant.replace(/^v/, ''));
    const out: (string | undefined)[] = [];
    for (let v = n; v >= 5; v--) out.push(`v${v}`);
    return [...out, undefined];
  }
  return [want.variant, undefined];
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * The first index entry for the wanted os/arch and the best acceptable variant, as
 * containers/image picks; os.version and os.features are ignored.
 */
export function choosePlatform(index: ImageIndex, want: Platform, ref: string): Descriptor {
  const candidates = index.manifests.filter(
    (d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture,
  );
  let found: Descriptor | undefined;
  for (const v of variantPreference(want)) {
    found = candidates.find((d) =>
      v === undefined
        ? true
        : normVariant(d.platform?.variant, want.architecture) === normVariant(v, want.architecture),
    );
    if (found) break;
  }
  if (!found) {
    const have = index.manifests
      .map((d) => (d.platform ? platformString(d.platform as Platform) : 'unknown'))
      .join(', ');
    throw new TsctrError(
      `no image found in image index for architecture ${want.architecture}, variant "${want.variant ?? ''}", OS ${want.os} (${ref} has: ${have || 'nothing'})`,
    );
  }
  return found;
}
