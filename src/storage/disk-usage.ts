/** How much a tree holds: for prune's "Total reclaimed space" and `ps -s`. */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/**
 * The sum of `measure` over every entry below `dir`. A directory of another container uid that
 * this user may not read is left out: the figure is then a lower bound.
 */
function sumTree(dir: string, measure: (st: Stats) => number): number {
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
        total += measure(st);
        if (st.isDirectory()) walk(p);
      } catch {
        // Gone, or not ours to see.
      }
    }
  };
  walk(dir);
  return total;
}

/** Bytes a tree takes on disk (allocated blocks, as du counts them). */
export function diskUsage(dir: string): number {
  return sumTree(dir, (st) => st.blocks * 512);
}

/** The bytes of the regular files in a tree (what docker's SizeRw counts for a writable layer). */
export function fileBytes(dir: string): number {
  return sumTree(dir, (st) => (st.isFile() ? st.size : 0));
}
