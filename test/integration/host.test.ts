/** `info` and `version` as an unprivileged user: real probes of this machine. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, tsctr, type Sandbox } from './harness.ts';

let sb: Sandbox;
beforeAll(() => {
  sb = sandbox();
});
afterAll(() => sb?.cleanup());

describe('info', () => {
  it('reports the rootless prerequisites it probed', () => {
    const r = tsctr(sb, ['info'], { timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}Native overlay \(userxattr\): yes \(test mount on /m);
    expect(r.stdout).toMatch(/^ User namespaces: yes/m);
    expect(r.stdout).toMatch(/^ Subordinate UIDs: \d+-\d+ \(\d+\)$/m);
    expect(r.stdout).toMatch(/^ newuidmap: \/usr\/bin\/newuidmap \(setuid\)$/m);
    expect(r.stdout).toMatch(/^ Total Memory: [\d.]+GiB$/m);
    expect(r.stdout).toContain(` Docker Root Dir: ${sb.root}`);
    // The probe's scratch directory is gone.
    expect(readdirSync(join(sb.root, 'tmp'))).toEqual([]);
  });

  it('answers Go templates over its fields', () => {
    const r = tsctr(sb, ['info', '--format', '{{.Host.UserNamespaces}} {{.Images}}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^yes 0\n$/);
    const bad = tsctr(sb, ['info', '--format', '{{.Nope}}']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/^Error: template parsing error: .*can't evaluate field Nope/);
  });
});

describe('version', () => {
  it('prints the client version, --version and -v too', () => {
    expect(tsctr(sb, ['--version']).stdout).toMatch(/^tsctr version \d+\.\d+\.\d+\n$/);
    expect(tsctr(sb, ['-v']).code).toBe(0);
    const r = tsctr(sb, ['version', '--format', '{{.Client.NodeVersion}}']);
    expect(r.stdout).toMatch(/^v24\./);
  });
});

describe('a store tsctr cannot write', () => {
  it('names the failing call and path with a hint, not a stack trace', () => {
    // A directory nobody but root may write into.
    const locked = join(sb.dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const r = tsctr({ ...sb, env: { ...sb.env, TSCTR_ROOT: join(locked, 'root') } }, [
      'pull',
      '127.0.0.1:1/x',
    ]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(
      `Error: mkdir ${locked}/root/locks: permission denied\n` +
        'Hint: check the owner and permissions of that path and its parents; tsctr keeps ' +
        'images under --root (TSCTR_ROOT, default ~/.local/share/tsctr)\n',
    );
  });
});
