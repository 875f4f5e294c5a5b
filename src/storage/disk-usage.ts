/** How much disk a tree takes, for prune's "Total reclaimed space". */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Bytes a tree takes on disk (allocated blocks, as du counts them). A directory of another
 * container uid that this user may not read is left out: the figure is then a lower bound.
 */
export function diskUsage(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = lstatSync(p);
        total += st.blocks * 512;
        if (st.isDirectory()) walk(p);
      } catch {
        // Gone, or not ours to see.
      }
    }
  };
  walk(dir);
  return total;
}

/**
 * The bytes of the regular files in a tree (what docker's SizeRw counts for a writable layer):
 * a directory of another container uid that this user may not read is left out.
 */
export function fileBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = lstatSync(p);
        if (st.isFile()) total += st.size;
        else if (st.isDirectory()) walk(p);
      } catch {
        // Gone, or not ours to see.
      }
    }
  };
  walk(dir);
  return total;
}
