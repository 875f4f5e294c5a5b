/**
 * docker's push output, in its plain-line form (stdout not a terminal):
 *
 *   Using default tag: latest
 *   The push refers to repository [127.0.0.1:5000/busybox]
 *   4b1d1c8a2f3e: Preparing
 *   4b1d1c8a2f3e: Pushed                     (or: Layer already exists, Mounted from library/busybox)
 *   latest: digest: sha256:… size: 527
 *
 * Layers are named by their blob digest, as pull names them (and docker's containerd image
 * store does). `-q` prints only the reference, after the push.
 */
import type { PushEvent } from '../images/push.ts';

export function pushPrinter(write: (line: string) => void, quiet: boolean): (e: PushEvent) => void {
  return (e) => {
    if (quiet) return;
    switch (e.kind) {
      case 'start':
        if (e.defaultTag) write('Using default tag: latest');
        write(`The push refers to repository [${e.repository}]`);
        return;
      case 'layer':
        // docker's plain output shows "Waiting" only among progress bars.
        if (e.status !== 'Waiting') write(`${e.id}: ${e.status}`);
        return;
      case 'done':
        write(`${e.tag}: digest: ${e.digest} size: ${e.size}`);
        return;
    }
  };
}
