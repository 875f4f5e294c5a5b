/**
 * The names shell completion offers where a command takes a container, an image, a network or a
 * volume (`tsctr __complete`, src/cli/complete.ts): container names, images as `repo:tag` in
 * the form `tsctr images` prints (untagged images have none), user networks and the network
 * modes `run --network` accepts. Short IDs come too once two characters are typed, as podman's completion offers
 * them (cmd/podman/common/completion.go): a list of bare IDs helps nobody choose, a typed
 * prefix of one is worth completing.
 */
import type { StatePaths } from '../config/paths.ts';
import { networkModes } from '../netns/index.ts';
import { listNetworks } from '../storage/networks.ts';
import { familiarName, parseCanonical } from '../registry/reference.ts';
import { ImageStore } from '../storage/store.ts';
import { listContainers } from '../storage/containers.ts';
import { listVolumes } from '../storage/volumes.ts';

/** The kinds of object a command's arguments and flags name, for completion. */
export type Completion = 'container' | 'image' | 'volume' | 'network';

/** The ID as `ps` and `images` show it, or as long as what is typed of it. */
const idFor = (hex: string, prefix: string): string[] =>
  prefix.length > 1 ? [hex.slice(0, Math.max(12, prefix.length))] : [];

function containerNames(paths: StatePaths, prefix: string): string[] {
  return listContainers(paths).flatMap((c) => [c.name, ...idFor(c.id, prefix)]);
}

function imageNames(paths: StatePaths, prefix: string): string[] {
  return new ImageStore(paths).listImages().flatMap((img) => {
    const tags = img.names.flatMap((n) => {
      try {
        return [familiarName(parseCanonical(n))];
      } catch {
        // A record written by something else; it is no name the user could type anyway.
        return [];
      }
    });
    return [...tags, ...idFor(img.id.slice(img.id.indexOf(':') + 1), prefix)];
  });
}

const SOURCES: Record<Completion, (paths: StatePaths, prefix: string) => string[]> = {
  container: containerNames,
  image: imageNames,
  network: (paths) => [...listNetworks(paths).map((n) => n.Name), ...networkModes()],
  volume: (paths) => listVolumes(paths).map((v) => v.Name),
};

/** The names of each kind that start with `prefix`, kind by kind, each kind sorted. */
export function objectNames(
  paths: StatePaths,
  kinds: readonly Completion[],
  prefix: string,
): string[] {
  const out = new Set<string>();
  for (const kind of kinds) {
    const names = SOURCES[kind](paths, prefix).filter((n) => n.startsWith(prefix));
    for (const n of names.sort()) out.add(n);
  }
  return [...out];
}
