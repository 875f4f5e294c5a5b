/**
 * The code cache of the app's bundles (src/binary/code-cache.ts): made by the first command that
 * gets through, used by the next, made again when V8 refuses it, never made by a command that
 * failed, and the caches of bundles that are gone are removed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBusybox } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { sandbox, tsctr, type Sandbox } from './harness.ts';

let reg: TestRegistry;
let sb: Sandbox;
let debug: Sandbox;
let image: string;
let dir: string;

const entries = () => (existsSync(dir) ? readdirSync(dir).sort() : []);
const cacheOf = (bundle: string) =>
  entries().filter((f) => decodeURIComponent(f).includes(`/${bundle}.`));

beforeAll(async () => {
  reg = await startRegistry();
  await seedBusybox(reg.host, 'busybox', 'latest');
  image = `${reg.host}/busybox`;
  sb = sandbox();
  debug = { ...sb, env: { ...sb.env, TSCTR_SEA_DEBUG: '1' } };
  dir = join(sb.home, '.cache/tsctr/code-cache');
  expect(tsctr(sb, ['pull', '-q', image]).code).toBe(0);
});

afterAll(async () => {
  sb?.cleanup();
  await reg?.stop();
});

describe('code cache', () => {
  it('is made by the first run of a command and used by the next', () => {
    expect(cacheOf('commands/container/run.cjs')).toEqual([]);
    const first = tsctr(debug, ['run', '--rm', image, 'true']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('code cache commands/container/run.cjs: none\n');
    expect(cacheOf('commands/container/run.cjs')).toHaveLength(1);
    const second = tsctr(debug, ['run', '--rm', image, 'true']);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('code cache commands/container/run.cjs: accepted\n');
  });

  it("lets a bundle's import() run without Node's experimental-loader warning", () => {
    // exec loads node:net through import(), which goes through the Script's loader.
    const id = tsctr(sb, ['run', '-d', image, 'sleep', '30']).stdout.trim();
    for (let i = 0; i < 2; i++) {
      const r = tsctr(sb, ['exec', id, 'echo', 'hi']);
      expect(r.stdout).toBe('hi\n');
      expect(r.stderr).toBe('');
    }
    expect(tsctr(sb, ['rm', '-f', id]).code).toBe(0);
  });

  it('is not made by a command that failed, and is made once one gets through', () => {
    const failed = tsctr(debug, ['create', '--pull', 'never', `${reg.host}/absent`]);
    expect(failed.code).toBe(125);
    expect(failed.stderr).toContain('code cache commands/container/create.cjs: none\n');
    expect(cacheOf('commands/container/create.cjs')).toEqual([]);
    const made = tsctr(debug, ['create', image, 'true']);
    expect(made.code).toBe(0);
    expect(cacheOf('commands/container/create.cjs')).toHaveLength(1);
    expect(tsctr(sb, ['rm', made.stdout.trim()]).code).toBe(0);
  });

  it('is made again when V8 refuses it, and the caches of vanished bundles go', () => {
    const [file] = cacheOf('commands/container/run.cjs');
    const path = join(dir, file!);
    writeFileSync(path, 'not a code cache');
    const gone = `${encodeURIComponent('/nonexistent/dist/commands/x.cjs')}.100-200-300.v8`;
    writeFileSync(join(dir, gone), 'old');
    const refused = tsctr(debug, ['run', '--rm', image, 'echo', 'still runs']);
    expect(refused.code).toBe(0);
    expect(refused.stdout).toBe('still runs\n');
    expect(refused.stderr).toContain('code cache commands/container/run.cjs: rejected\n');
    expect(readFileSync(path).length).toBeGreaterThan(10_000);
    expect(entries()).not.toContain(gone);
    const again = tsctr(debug, ['run', '--rm', image, 'true']);
    expect(again.stderr).toContain('code cache commands/container/run.cjs: accepted\n');
  });
});
