import { readFileSync, globSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The parts of src/ and which parts each may import (docs/ARCHITECTURE.md section 1): shell
 * (main, cli, commands) over the domain (system, images, runtime, …) over the base (userns,
 * storage's helpers, native). A part not named here imports nothing but the base modules.
 */
const ROOT = join(import.meta.dirname, '../../src');
const BASE = ['errors.ts', 'version.ts', 'types', 'config'];
const ALLOWED: Record<string, string[]> = {
  // The every-day commands are bundled into main (src/cli/hot.ts).
  'main.ts': ['binary', 'cli', 'commands'],
  'boot.ts': ['binary'],
  commands: ['*'],
  cli: ['binary', 'format', 'system', 'images', 'registry', 'runtime', 'netns'],
  // Where tsctr's own files are; the types of the commands it loads.
  binary: ['cli'],
  system: ['images', 'runtime', 'registry', 'storage', 'netns', 'native', 'userns', 'host'],
  images: ['registry', 'storage', 'userns', 'native', 'host', 'format', 'binary'],
  runtime: ['storage', 'netns', 'native', 'userns', 'host', 'format'],
  registry: ['host'],
  storage: ['userns', 'native', 'host'],
  netns: ['native', 'userns'],
  userns: ['native'],
  format: ['binary'],
  native: ['binary'],
  host: [],
  config: [],
};

const partOf = (file: string) => relative(ROOT, file).split('/')[0]!;

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  // Static imports and re-exports, bare imports, dynamic import() and require().
  const patterns = [
    /^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms,
    /^import\s+'(\.[^']+)'/gm,
    /\b(?:import|require)\(\s*'(\.[^']+)'\s*\)/g,
  ];
  const specs = patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1]!));
  return specs.map((s) => normalize(join(dirname(file), s)));
}

describe('the parts of src/', () => {
  const files = globSync(`${ROOT}/**/*.ts`);

  it('are all known', () => {
    const unknown = [...new Set(files.map(partOf))].filter(
      (p) => !(p in ALLOWED) && !BASE.includes(p),
    );
    expect(unknown).toEqual([]);
  });

  it('import only downwards', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = partOf(file);
      const allowed = ALLOWED[from] ?? [];
      for (const target of imports(file)) {
        // package.json, node_modules, native/*.d.ts, and the bundles boot.ts loads (main.cjs).
        if (relative(ROOT, target).startsWith('..') || !target.endsWith('.ts')) continue;
        const to = partOf(target);
        if (to === from || BASE.includes(to) || allowed.includes('*') || allowed.includes(to)) {
          continue;
        }
        wrong.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
