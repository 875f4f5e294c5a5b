/**
 * dist/tsctr, the single binary (npm run build:binary): it runs with no Node.js on the machine,
 * writes its assets out once per build and safely when several first runs race, keeps a
 * container's helpers running after the binary is replaced, and prunes a build's assets once
 * nothing uses them. The rest of its behaviour is the whole integration suite, which CI runs
 * against it too (TSCTR_BIN=dist/tsctr).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBusybox } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { sandbox, type Sandbox } from './harness.ts';

const CHECKOUT = resolve(import.meta.dirname, '../..');
const BUILT = join(CHECKOUT, 'dist/tsctr');

let sb: Sandbox;
let reg: TestRegistry;
let image: string;
/** A copy of the binary outside the checkout, owned by the test user. */
let bin: string;
let cache: string;

function asUser(file: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(
    'setpriv',
    [`--reuid=${sb.user.uid}`, `--regid=${sb.user.gid}`, '--init-groups', '--', file, ...args],
    { env: { ...sb.env, XDG_CACHE_HOME: cache, ...env }, encoding: 'utf8', timeout: 60_000 },
  );
}

/** Starts the binary as the test user; `done` settles with its exit code and stdout. */
function startAsUser(args: string[]) {
  const child = spawn(
    'setpriv',
    [`--reuid=${sb.user.uid}`, `--regid=${sb.user.gid}`, '--init-groups', '--', bin, ...args],
    { env: { ...sb.env, XDG_CACHE_HOME: cache } },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const done = new Promise<{ code: number | null; out: string }>((res) =>
    child.on('close', (code) => res({ code, out })),
  );
  return { child, done };
}

const builds = () => readdirSync(join(cache, 'tsctr/app')).sort();

beforeAll(async () => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run 'npm run build:binary' first`);
  sb = sandbox();
  reg = await startRegistry();
  await seedBusybox(reg.host, 'busybox', 'latest');
  image = `${reg.host}/busybox`;
  const dir = join(sb.dir, 'bin');
  mkdirSync(dir);
  bin = join(dir, 'tsctr');
  copyFileSync(BUILT, bin);
  cache = join(sb.dir, 'cache');
  mkdirSync(cache);
  for (const p of [dir, bin, cache]) chownSync(p, sb.user.uid, sb.user.gid);
});
afterAll(async () => {
  sb?.cleanup();
  await reg?.stop();
});

describe('the single binary', () => {
  it('pulls and runs a container on a machine with no Node.js and no checkout', () => {
    // A mount namespace where every Node.js on the machine is an empty, non-executable file
    // and the checkout (its dist/, build/ and node_modules/) an empty directory.
    const nodes = ['/usr/bin/node', '/usr/local/bin/node'].filter(existsSync);
    const hide = [
      ...nodes.map((n) => `mount --bind /dev/null ${n}`),
      `mount -t tmpfs none ${CHECKOUT}`,
      `exec setpriv --reuid=${sb.user.uid} --regid=${sb.user.gid} --init-groups -- sh -c "$1" sh "$2"`,
    ].join(' && ');
    const script = `if command -v node; then exit 3; fi; "$1" pull -q ${image} && "$1" run --rm ${image} echo hello`;
    const r = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', hide, 'sh', script, bin],
      {
        env: { ...sb.env, XDG_CACHE_HOME: cache, PATH: '/usr/bin:/bin' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${image}:latest\nhello\n`);
    expect(r.status).toBe(0);
  });

  it('writes its assets once, each file as the build made it', () => {
    const [dir] = builds();
    expect(builds()).toHaveLength(1);
    expect(dir).toMatch(/^\d+\.\d+\.\d+-[0-9a-f]{16}$/);
    const root = join(cache, 'tsctr/app', dir!);
    const source = (name: string) =>
      name.startsWith('native/')
        ? join(CHECKOUT, 'build/Release', name.slice('native/'.length))
        : join(CHECKOUT, 'dist', name);
    const written = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
      .sort();
    expect(written).toContain('native/tsctr-monitor');
    expect(written).toContain('commands/container/run.cjs');
    expect(written).toContain('oclif.cjs');
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    for (const f of written) expect(sha(join(root, f)), f).toBe(sha(source(f)));
  });

  it('runs its main script from the code cache the build trained for the command', () => {
    for (const args of [
      ['ps'],
      ['stats', '--no-stream'],
      ['images'],
      ['--version'],
      ['volume', 'ls'],
    ]) {
      const r = asUser(bin, args, { TSCTR_SEA_DEBUG: '1' });
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe('cache rejected: false');
    }
  });

  it('survives eight first runs at once, leaving one complete copy', async () => {
    rmSync(join(cache, 'tsctr'), { recursive: true, force: true });
    const runs = Array.from(
      { length: 8 },
      () => startAsUser(['inspect', '--type', 'image', image]).done,
    );
    for (const r of await Promise.all(runs)) {
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)[0].RepoTags).toEqual([`${image}:latest`]);
    }
    expect(builds()).toHaveLength(1);
  });

  it('keeps a container running across a binary replacement and prunes the old build once unused', async () => {
    const [oldBuild] = builds();
    // Another build of the same tree, whose assets differ by one file.
    execFileSync(
      process.execPath,
      ['scripts/build-binary.ts', '--out', `${bin}.new`, '--variant', 'replacement'],
      {
        cwd: CHECKOUT,
        stdio: 'ignore',
      },
    );
    chownSync(`${bin}.new`, sb.user.uid, sb.user.gid);
    const container = startAsUser([
      'run',
      '--rm',
      image,
      'sh',
      '-c',
      'trap "echo done; exit 0" USR1; while :; do sleep 0.1; done',
    ]);
    const monitor = await waitFor(() => monitorOf(sb.dir));
    expect(readlinkSync(`/proc/${monitor}/exe`)).toBe(
      join(cache, 'tsctr/app', oldBuild!, 'native/tsctr-monitor'),
    );
    // The binary is replaced (as an upgrade replaces it) and the new one used at once.
    renameSync(`${bin}.new`, bin);
    const during = asUser(bin, ['inspect', '--type', 'image', '-f', '{{.RepoTags}}', image]);
    expect(during.stderr).toBe('');
    expect(during.stdout).toBe(`[${image}:latest]\n`);
    // The new build has its own directory; the old one stays while the container's monitor runs.
    expect(builds()).toHaveLength(2);
    expect(builds()).toContain(oldBuild);
    // The container carries on and ends as it would have.
    process.kill(childOf(monitor), 'SIGUSR1');
    expect(await container.done).toEqual({ code: 0, out: 'done\n' });
    // The next first run of a build prunes the old directory, now that nothing uses it.
    const newBuild = builds().find((b) => b !== oldBuild)!;
    rmSync(join(cache, 'tsctr/app', newBuild), { recursive: true });
    expect(asUser(bin, ['inspect', '--type', 'image', '-f', '{{.Id}}', image]).status).toBe(0);
    expect(builds()).toEqual([newBuild]);
  });
});

/** The pid of this sandbox's container monitor (not its network's keeper), if one runs. */
function monitorOf(dir: string): number | undefined {
  const line = spawnSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .find((l) => /\/tsctr-monitor\s+\//.test(l) && l.includes(dir));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

/** The first child of a process (the container's init, for a monitor). */
function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ');
  return Number(children[0]);
}

async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
