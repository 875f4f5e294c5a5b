/**
 * docker's pull output as plain lines (the TTY progress bars come with the images issue):
 *
 *   Using default tag: latest
 *   latest: Pulling from library/busybox
 *   4b1d1c8a2f3e: Pull complete
 *   Digest: sha256:…
 *   Status: Downloaded newer image for busybox:latest
 *   docker.io/library/busybox:latest
 */
import type { PullEvent } from '../images/pull.ts';
import { familiarName } from '../registry/reference.ts';

export function pullPrinter(write: (line: string) => void, quiet: boolean): (e: PullEvent) => void {
  let ref: Extract<PullEvent, { kind: 'start' }>['ref'] | undefined;
  return (e) => {
    if (e.kind === 'start') {
      ref = e.ref;
      if (quiet) return;
      if (e.defaultTag) write('Using default tag: latest');
      const fam = familiarName({ domain: e.ref.domain, path: e.ref.path });
      const repoPath = e.ref.domain === 'docker.io' ? e.ref.path : fam.slice(fam.indexOf('/') + 1);
      write(`${e.ref.tag ?? e.ref.digest}: Pulling from ${repoPath}`);
    } else if (e.kind === 'layer') {
      if (!quiet && e.status !== 'Pulling fs layer') write(`${e.id}: ${e.status}`);
    } else if (e.kind === 'done') {
      if (!quiet) {
        write(`Digest: ${e.digest}`);
        const fam = ref ? familiarName(ref) : e.name;
        write(
          e.upToDate
            ? `Status: Image is up to date for ${fam}`
            : `Status: Downloaded newer image for ${fam}`,
        );
      }
      write(e.name);
    }
  };
}
