// A large, realistic image for the pull benchmark, built from this machine's own files: a
// Debian /usr holds the mix a distribution image has (many small text files, some large
// binaries). About 60,000 files and 150 MB, in four gzip layers made by GNU tar and gzip.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pushRawBlob, putManifest } from '../test/fixtures/push.ts';

const SOURCES = [
  '/usr/share',
  '/usr/include',
  '/usr/lib/python3',
  '/usr/lib/python3.11',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/bin',
];
const SMALL = 16 * 1024;

export interface BigImage {
  files: number;
  bytes: number;
  compressed: number;
  layers: number;
}

function walk(dir: string, out: { path: string; size: number; dir: boolean }[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      out.push({ path: p, size: 0, dir: true });
      walk(p, out);
    } else if (st.isFile() || st.isSymbolicLink()) out.push({ path: p, size: st.size, dir: false });
  }
}

/** The files to pack: small ones first up to `files`, then large ones up to `bytes`. */
function choose(files: number, bytes: number): { list: string[]; files: number; bytes: number } {
  const all: { path: string; size: number; dir: boolean }[] = [];
  for (const s of SOURCES) walk(s, all);
  const chosen = new Set<string>();
  let n = 0;
  let total = 0;
  for (const e of all) {
    if (e.dir || e.size > SMALL || n >= files) continue;
    chosen.add(e.path);
    n++;
    total += e.size;
  }
  for (const e of all) {
    if (e.dir || e.size <= SMALL || total >= bytes) continue;
    chosen.add(e.path);
    n++;
    total += e.size;
  }
  // Parent directories too, before their contents (walk order), as a real layer has them.
  const dirs = new Set<string>();
  for (const c of chosen)
    for (let d = dirname(c); d !== '/' && !dirs.has(d); d = dirname(d)) dirs.add(d);
  const list = all
    .filter((e) => (e.dir ? dirs.has(e.path) : chosen.has(e.path)))
    .map((e) => e.path.slice(1));
  return { list, files: n, bytes: total };
}

function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

/** Builds the image and pushes it to `registry` as `repo:tag`. */
export async function pushBigImage(
  registry: string,
  repo: string,
  tag: string,
  target = { files: 60_000, bytes: 150e6 },
): Promise<BigImage> {
  const { list, files, bytes } = choose(target.files, target.bytes);
  const work = mkdtempSync(join(tmpdir(), 'tsctr-bigimage-'));
  try {
    const layers = 4;
    const per = Math.ceil(list.length / layers);
    const diffIds: string[] = [];
    const descs: { mediaType: string; digest: string; size: number }[] = [];
    for (let i = 0; i < layers; i++) {
      const names = join(work, `list${i}`);
      writeFileSync(names, list.slice(i * per, (i + 1) * per).join('\0'));
      const tar = execFileSync(
        'tar',
        ['-C', '/', '--numeric-owner', '--no-recursion', '--null', '-T', names, '-cf', '-'],
        { maxBuffer: 1 << 30 },
      );
      diffIds.push(sha256(tar));
      const gz = spawnSync('gzip', ['-6', '-n'], { input: tar, maxBuffer: 1 << 30 });
      if (gz.status !== 0) throw new Error(`gzip failed: ${gz.stderr}`);
      const blob = gz.stdout;
      const pushed = await pushRawBlob(registry, repo, blob);
      descs.push({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: pushed.digest,
        size: pushed.size,
      });
    }
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2026-01-01T00:00:00Z',
        config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'bench' })),
      }),
    );
    const cfg = await pushRawBlob(registry, repo, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: descs,
    });
    await putManifest(registry, repo, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
    return {
      files,
      bytes,
      compressed: descs.reduce((n, d) => n + d.size, 0),
      layers,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
