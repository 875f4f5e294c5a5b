/**
 * Pull from registries that need credentials: HTTP Basic (htpasswd) and Bearer tokens from a
 * token server that itself demands Basic credentials. Credentials come from auth.json in
 * $XDG_RUNTIME_DIR/containers, or from --authfile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { buildBusyboxImage, pushImage } from '../fixtures/images.ts';
import { sandbox, tsctr, tsctrAwait, type Sandbox } from './harness.ts';
import { writeAuthJson, writeRegistriesConf, writeUserFile } from './user-files.ts';
import { CRED_HELPER } from '../fixtures/cred-helper.ts';

function ok(r: { code: number | null; stderr: string }): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe('HTTP Basic authentication', () => {
  let reg: TestRegistry;
  let ref: string;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'htpasswd' });
    const image = await buildBusyboxImage({ salt: 'basic' });
    await pushImage(reg.host, 'private/app', 'v1', image, { basic: reg.credentials! });
    ref = `${reg.host}/private/app:v1`;
  });

  afterAll(async () => {
    await reg?.stop();
  });

  function withSandbox(fn: (sb: Sandbox) => void): void {
    const sb = sandbox();
    try {
      fn(sb);
    } finally {
      sb.cleanup();
    }
  }

  it('asks for credentials when it has none', () => {
    withSandbox((sb) => {
      const r = tsctr(sb, ['pull', ref]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(
        `Error: ${reg.host}: unauthorized: authentication required\n` +
          `Hint: this registry needs credentials: tsctr login ${reg.host}\n`,
      );
    });
  });

  it('pulls with the credentials in auth.json', () => {
    withSandbox((sb) => {
      writeAuthJson(sb, { [reg.host]: reg.credentials! });
      const r = tsctr(sb, ['pull', ref]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n').at(-1)).toBe(ref);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('basic\n');
    });
  });

  it('pulls with the credentials in the file --authfile names', () => {
    withSandbox((sb) => {
      const file = join(sb.home, 'elsewhere/auth.json');
      const auth = Buffer.from(`${reg.credentials!.username}:${reg.credentials!.password}`);
      writeUserFile(
        sb,
        file,
        JSON.stringify({ auths: { [reg.host]: { auth: auth.toString('base64') } } }),
      );
      expect(tsctr(sb, ['pull', ref]).code).toBe(125);
      const r = tsctr(sb, ['pull', '--authfile', file, ref]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  });

  it('logs in, pulls and logs out through a helper that registries.conf lists', () => {
    withSandbox((sb) => {
      // docker-credential-test on the user's PATH, keeping its secrets in a directory of theirs.
      const bin = join(sb.home, 'bin');
      const store = join(sb.home, 'secrets');
      writeUserFile(sb, join(bin, 'docker-credential-test'), CRED_HELPER);
      chmodSync(join(bin, 'docker-credential-test'), 0o755);
      writeUserFile(sb, join(store, 'log'), '');
      sb.env.PATH = `${bin}:${sb.env.PATH}`;
      sb.env.TEST_CRED_STORE = store;
      writeRegistriesConf(sb, 'credential-helpers = ["test"]\n');
      const { username, password } = reg.credentials!;

      const login = tsctr(sb, ['login', '-u', username, '--password-stdin', reg.host], {
        input: password,
      });
      expect(login.stderr).toBe('');
      expect(login.stdout).toBe('Login Succeeded\n');
      expect(existsSync(join(sb.env.XDG_RUNTIME_DIR!, 'containers/auth.json'))).toBe(false);
      expect(readdirSync(store).filter((f) => f.endsWith('.json'))).toHaveLength(1);
      const pull = tsctr(sb, ['pull', '-q', ref]);
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);

      const logout = tsctr(sb, ['logout', reg.host]);
      expect(logout).toMatchObject({
        code: 0,
        stdout: `Removing login credentials for ${reg.host}\n`,
      });
      expect(readdirSync(store).filter((f) => f.endsWith('.json'))).toEqual([]);
      ok(tsctr(sb, ['rmi', ref]));
      expect(tsctr(sb, ['pull', ref]).code).toBe(125);
    });
  });

  it('says so when the password is wrong', () => {
    withSandbox((sb) => {
      writeAuthJson(sb, { [reg.host]: { username: reg.credentials!.username, password: 'wrong' } });
      const r = tsctr(sb, ['pull', ref]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(
        `Error: ${reg.host}: unauthorized: incorrect username or password\n` +
          `Hint: log in again: tsctr login ${reg.host}\n`,
      );
    });
  });
});

describe('Bearer tokens from a token server that wants credentials', () => {
  const credentials = { username: 'alice', password: 'alice-secret' };
  let reg: TestRegistry;
  let ref: string;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', credentials });
    const token = reg.tokenServer!.issueToken(['repository:team/app:pull,push']);
    await pushImage(reg.host, 'team/app', 'v1', await buildBusyboxImage({ salt: 'token' }), {
      token,
    });
    ref = `${reg.host}/team/app:v1`;
  });

  afterAll(async () => {
    await reg?.stop();
  });

  it('fails without credentials, and pulls with them', async () => {
    const sb = sandbox();
    try {
      const anonymous = await tsctrAwait(sb, ['pull', ref]);
      expect(anonymous.code).toBe(125);
      expect(anonymous.stderr).toBe(
        `Error: ${reg.host}: unauthorized: authentication required\n` +
          `Hint: this registry needs credentials: tsctr login ${reg.host}\n`,
      );

      writeAuthJson(sb, { [reg.host]: credentials });
      const before = reg.tokenServer!.requests.length;
      const r = await tsctrAwait(sb, ['pull', ref]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const asked = reg.tokenServer!.requests.slice(before);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((q) => q.account === 'alice' && q.granted)).toBe(true);
      expect(asked[0]!.scopes).toContain('repository:team/app:pull');
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('token\n');
    } finally {
      sb.cleanup();
    }
  });

  it('says so when the token server refuses the password', async () => {
    const sb = sandbox();
    try {
      writeAuthJson(sb, { [reg.host]: { username: 'alice', password: 'wrong' } });
      const r = await tsctrAwait(sb, ['pull', ref]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(
        `Error: ${reg.host}: unauthorized: incorrect username or password\n` +
          `Hint: log in again: tsctr login ${reg.host}\n`,
      );
    } finally {
      sb.cleanup();
    }
  });
});
