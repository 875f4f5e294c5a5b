/** A network helper's executable: the first on PATH, then /usr/bin and /usr/sbin. */
import { accessSync, constants } from 'node:fs';

export function whichHelper(name: string, env = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/usr/sbin'];
  for (const d of dirs) {
    try {
      accessSync(`${d}/${name}`, constants.X_OK);
      return `${d}/${name}`;
    } catch {
      // next
    }
  }
  return undefined;
}
