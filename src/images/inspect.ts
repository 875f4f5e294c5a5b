/**
 * `image inspect`: an image record in the shape of docker's image inspect response (API
 * InspectResponse), keys in docker's order so the JSON reads the same. The container
 * configuration has every key docker's has (unset lists and maps are null, as Go marshals
 * them); GraphDriver names the layer directories that exist (tsctr keeps no merged or work
 * directory for an image).
 */
import { join } from 'node:path';
import type { StatePaths } from '../config/paths.ts';
import { TsctrError } from '../errors.ts';
import { ImageStore, type ImageConfigBody, type ImageRecord } from '../storage/store.ts';
import { resolveImage } from './resolve.ts';
import { familiarName, parseReference } from '../registry/reference.ts';

/** Fields of an image config that docker reads but tsctr's record type leaves implicit. */
type LooseConfig = ImageConfigBody & {
  author?: string;
  comment?: string;
  docker_version?: string;
  variant?: string;
  'os.version'?: string;
  config?: Record<string, unknown>;
};

const ZERO_TIME = '0001-01-01T00:00:00Z';

const sortedFamiliar = (refs: readonly string[]) =>
  [...refs].sort().map((r) => familiarName(parseReference(r)));

/** docker's container.Config as an image carries it: every key, in Go's field order. */
export function containerConfig(c: Record<string, unknown> | undefined): Record<string, unknown> {
  const v = (k: string) => (c && c[k] !== undefined ? c[k] : null);
  const str = (k: string) => (typeof c?.[k] === 'string' ? c[k] : '');
  const out: Record<string, unknown> = {
    Hostname: str('Hostname'),
    Domainname: str('Domainname'),
    User: str('User'),
    AttachStdin: c?.AttachStdin === true,
    AttachStdout: c?.AttachStdout === true,
    AttachStderr: c?.AttachStderr === true,
  };
  if (c?.ExposedPorts && Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  Object.assign(out, {
    Tty: c?.Tty === true,
    OpenStdin: c?.OpenStdin === true,
    StdinOnce: c?.StdinOnce === true,
    Env: v('Env'),
    Cmd: v('Cmd'),
  });
  if (c?.Healthcheck) out.Healthcheck = c.Healthcheck;
  if (c?.ArgsEscaped === true) out.ArgsEscaped = true;
  Object.assign(out, {
    Image: str('Image'),
    Volumes: v('Volumes'),
    WorkingDir: str('WorkingDir'),
    Entrypoint: v('Entrypoint'),
    OnBuild: v('OnBuild'),
    Labels: v('Labels'),
  });
  if (str('StopSignal')) out.StopSignal = c!.StopSignal;
  if (typeof c?.StopTimeout === 'number') out.StopTimeout = c.StopTimeout;
  if (Array.isArray(c?.Shell) && c.Shell.length) out.Shell = c.Shell;
  return out;
}

/**
 * The inspect object of `rec`. `layerDiff` gives a layer's directory on disk (an overlay
 * lowerdir); the top layer is docker's UpperDir, the others its LowerDir, top first.
 */
export function inspectImage(
  rec: ImageRecord,
  layerDiff: (diffId: string) => string,
): Record<string, unknown> {
  const cfg = rec.config as LooseConfig;
  const out: Record<string, unknown> = {
    Id: rec.id,
    RepoTags: sortedFamiliar(rec.names),
    RepoDigests: sortedFamiliar(rec.digests),
    Parent: '',
    Comment: cfg.comment ?? '',
  };
  if (cfg.created) out.Created = cfg.created;
  Object.assign(out, {
    DockerVersion: cfg.docker_version ?? '',
    Author: cfg.author ?? '',
    Config: containerConfig(cfg.config),
    Architecture: cfg.architecture ?? '',
  });
  if (cfg.variant) out.Variant = cfg.variant;
  out.Os = cfg.os ?? '';
  if (cfg['os.version']) out.OsVersion = cfg['os.version'];
  const topDown = [...rec.layers].reverse().map(layerDiff);
  const data: Record<string, string> = {};
  if (topDown.length > 1) data.LowerDir = topDown.slice(1).join(':');
  if (topDown.length > 0) data.UpperDir = topDown[0]!;
  Object.assign(out, {
    Size: rec.size,
    GraphDriver: { Data: data, Name: 'overlay' },
    RootFS: rec.layers.length ? { Type: 'layers', Layers: rec.layers } : { Type: 'layers' },
    Metadata: { LastTagTime: rec.lastTagTime ?? ZERO_TIME },
  });
  return out;
}

export interface InspectResults {
  values: Record<string, unknown>[];
  /** One per name that could not be inspected, in order. */
  errors: TsctrError[];
}

/** `image inspect NAME...`: every image found, and an error for each name that is not. */
export function inspectImages(paths: StatePaths, inputs: readonly string[]): InspectResults {
  const store = new ImageStore(paths);
  const images = store.listImages();
  const out: InspectResults = { values: [], errors: [] };
  for (const input of inputs) {
    try {
      const rec = resolveImage(images, input);
      out.values.push(inspectImage(rec, (d) => join(store.layerDir(d), 'diff')));
    } catch (err) {
      if (!(err instanceof TsctrError)) throw err;
      out.errors.push(err);
    }
  }
  return out;
}
