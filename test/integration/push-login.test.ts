/**
 * login, logout and push against real registries: a Basic-auth (htpasswd) registry, the same
 * behind a logging proxy (to see which requests push makes), and a Bearer-token registry.
 * Pushes send the blobs pull stored, so the digests must come out as they went in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { request } from 'undici';
import { DEFAULT_CREDENTIALS, startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  buildBusyboxImage,
  pushImage,
  type PushResult,
  type TestImage,
} from '../fixtures/images.ts';
import { respond, startRegistryProxy, type RegistryProxy } from '../fixtures/net.ts';
import { sha256Digest } from '../fixtures/digest.ts';
import { BIN, sandbox, tsctr, tsctrAwait, type Result, type Sandbox } from './harness.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { uploadBlob } from '../../src/registry/upload.ts';

const { username: USER, password: PASS } = DEFAULT_CREDENTIALS;
const UNENCRYPTED = 'WARNING! Your credentials are stored unencrypted in ';

let open: TestRegistry;
let basic: TestRegistry;
let proxy: RegistryProxy;
let sb: Sandbox;
let image: TestImage;
let source: PushResult;
let sourceRef: string;

const authFile = (s: Sandbox) => join(s.dir, 'xdg', 'containers', 'auth.json');
const storedAuths = (s: Sandbox) =>
  (JSON.parse(readFileSync(authFile(s), 'utf8')) as { auths: Record<string, { auth: string }> })
    .auths;
const short = (d: string) => d.slice(7, 19);

/** Asserts success, showing stderr when it is not. */
function ok(r: Result): Result {
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  return r;
}

beforeAll(async () => {
  open = await startRegistry();
  basic = await startRegistry({ auth: 'htpasswd' });
  proxy = await startRegistryProxy(basic.url);
  sb = sandbox();
  image = await buildBusyboxImage({ salt: 'push' });
  source = await pushImage(open.host, 'src/busybox', 'v1', image, { format: 'docker' });
  sourceRef = `${open.host}/src/busybox:v1`;
  const r = tsctr(sb, ['pull', sourceRef]);
  ok(r);
});

afterAll(async () => {
  sb?.cleanup();
  await proxy?.close();
  await basic?.stop();
  await open?.stop();
});

describe('login', () => {
  it('refuses a wrong password with exit 1 and stores nothing', () => {
    const r = tsctr(sb, ['login', '-u', USER, '--password-stdin', basic.host], {
      input: 'wrong\n',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: .*unauthorized: incorrect username or password\n/);
    expect(existsSync(authFile(sb))).toBe(false);
  });

  it('pull needs credentials before login', () => {
    const r = tsctr(sb, ['pull', `${basic.host}/nothing/here:v1`]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/authentication required/);
  });

  it('stores credentials read from stdin in a 0600 auth.json, and pull then works', async () => {
    await pushImage(basic.host, 'seeded/busybox', 'v1', image, { basic: DEFAULT_CREDENTIALS });
    const r = tsctr(sb, ['login', '--username', USER, '--password-stdin', basic.host], {
      input: `${PASS}\n`,
    });
    ok(r);
    expect(r.stdout).toBe('Login Succeeded\n');
    expect(r.stderr).toContain(`${UNENCRYPTED}'${authFile(sb)}'.`);
    expect(statSync(authFile(sb)).mode & 0o777).toBe(0o600);
    expect(statSync(authFile(sb)).uid).toBe(sb.user.uid);
    const entry = storedAuths(sb)[basic.host]!;
    expect(Buffer.from(entry.auth, 'base64').toString()).toBe(`${USER}:${PASS}`);
    const pull = tsctr(sb, ['pull', `${basic.host}/seeded/busybox:v1`]);
    expect(pull.stderr).toBe('');
    ok(pull);
  });

  it('tries stored credentials first when given no user or password', () => {
    const r = tsctr(sb, ['login', basic.host]);
    ok(r);
    expect(r.stderr).toContain(`Authenticating with existing credentials... [Username: ${USER}]`);
    expect(r.stdout).toBe('Login Succeeded\n');
  });

  it('warns about -p, and refuses what docker refuses', () => {
    const p = tsctr(sb, ['login', '-u', USER, '-p', PASS, basic.host]);
    ok(p);
    expect(p.stderr).toMatch(
      /^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.\n/,
    );
    const both = tsctr(sb, ['login', '-u', USER, '-p', PASS, '--password-stdin', basic.host]);
    expect(both).toMatchObject({
      code: 1,
      stderr: 'Error: conflicting options: cannot specify both --password and --password-stdin\n',
    });
    const noUser = tsctr(sb, ['login', '--password-stdin', basic.host], { input: 'x\n' });
    expect(noUser).toMatchObject({
      code: 1,
      stderr: 'Error: the --password-stdin option requires --username to be set\n',
    });
    const empty = tsctr(sb, ['login', '-u', USER, '--password-stdin', basic.host], {
      input: '\n',
    });
    expect(empty).toMatchObject({ code: 1, stderr: 'Error: password is empty\n' });
    const noTty = tsctr(sb, ['login', '-u', USER, `${basic.host}/other`]);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(
      /^Error: cannot perform an interactive login from a non-TTY device\n/,
    );
  });

  it('prompts on a terminal, without echoing the password', async () => {
    const other = sandbox();
    try {
      const r = await onTerminal(
        other,
        ['login', basic.host],
        [
          ['Username: ', `${USER}\n`],
          ['Password: ', `${PASS}\r`],
        ],
      );
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain(`Username: ${USER}`);
      expect(r.output).not.toContain(PASS);
      expect(r.output).toContain('Login Succeeded');
      expect(Object.keys(storedAuths(other))).toEqual([basic.host]);
    } finally {
      other.cleanup();
    }
  });
});

describe('logout', () => {
  it('removes the credentials; pull fails again; a second logout has nothing to do', () => {
    const r = tsctr(sb, ['logout', basic.host]);
    expect(r).toMatchObject({ code: 0, stdout: `Removing login credentials for ${basic.host}\n` });
    expect(storedAuths(sb)[basic.host]).toBeUndefined();
    ok(tsctr(sb, ['rmi', `${basic.host}/seeded/busybox:v1`]));
    const pull = tsctr(sb, ['pull', `${basic.host}/seeded/busybox:v1`]);
    expect(pull.code).toBe(125);
    expect(pull.stderr).toMatch(/unauthorized: authentication required/);
    const again = tsctr(sb, ['logout', basic.host]);
    expect(again).toMatchObject({ code: 0, stdout: `Not logged in to ${basic.host}\n` });
  });
});

/** The proxy's requests of one push, as "METHOD route" strings, for order assertions. */
function requests(): { method: string; kind: string; ref: string; query: string }[] {
  return proxy.log.map((e) => ({
    method: e.method,
    kind: e.route.kind,
    ref: e.route.reference ?? '',
    query: e.query,
  }));
}

describe('push', () => {
  const target = () => `${proxy.host}/app/busybox:v1`;
  const layerIds = () => image.layers.map((l) => short(l.digest));

  beforeAll(async () => {
    const r = await tsctrAwait(sb, ['login', '-u', USER, '-p', PASS, proxy.host]);
    ok(r);
  });

  it('refuses names that have no local image, as docker words it', async () => {
    proxy.reset();
    const none = await tsctrAwait(sb, ['push', `${proxy.host}/nothing`]);
    expect(none.code).toBe(125);
    expect(none.stdout).toBe(
      `Using default tag: latest\nThe push refers to repository [${proxy.host}/nothing]\n`,
    );
    expect(none.stderr).toMatch(
      new RegExp(`^Error: An image does not exist locally with the tag: ${proxy.host}/nothing\n`),
    );
    ok(tsctr(sb, ['tag', sourceRef, target()]));
    const tag = await tsctrAwait(sb, ['push', `${proxy.host}/app/busybox:v2`]);
    expect(tag.stderr).toMatch(/^Error: tag does not exist: .*\/app\/busybox:v2\n/);
    const digest = await tsctrAwait(sb, [
      'push',
      `${proxy.host}/app/busybox@${source.manifestDigest}`,
    ]);
    expect(digest.stderr).toMatch(/^Error: cannot push a digest reference\n/);
    const all = await tsctrAwait(sb, ['push', '-a', target()]);
    expect(all.stderr).toMatch(/^Error: tag can't be used with --all-tags\/-a\n/);
    expect(proxy.log).toEqual([]);
  });

  it('uploads every blob, then the manifest, keeping the pulled digest', async () => {
    proxy.reset();
    const r = await tsctrAwait(sb, ['push', target()]);
    expect(r.stderr).toBe('');
    ok(r);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `The push refers to repository [${proxy.host}/app/busybox]`,
      ...layerIds().map((id) => `${id}: Preparing`),
    ]);
    // Layers are sent side by side and finish in any order.
    expect(new Set(lines.slice(4, 7))).toEqual(new Set(layerIds().map((id) => `${id}: Pushed`)));
    expect(lines.slice(7)).toEqual([
      `v1: digest: ${source.manifestDigest} size: ${source.manifest.length}`,
      '',
    ]);

    const log = requests();
    for (const blob of [...image.layers.map((l) => l.digest), image.configDigest]) {
      const head = log.findIndex((e) => e.method === 'HEAD' && e.ref === blob);
      const put = log.findIndex(
        (e) => e.method === 'PUT' && e.query.includes(encodeURIComponent(blob)),
      );
      expect(head).toBeGreaterThanOrEqual(0);
      expect(put).toBeGreaterThan(head);
    }
    const manifest = log.findIndex((e) => e.method === 'PUT' && e.kind === 'manifest');
    expect(manifest).toBe(log.length - 1);
    expect(log[manifest]!.ref).toBe('v1');
  });

  it('is pulled back as the same image, which runs', async () => {
    ok(tsctr(sb, ['rmi', '-f', image.configDigest]));
    const pull = await tsctrAwait(sb, ['pull', target()]);
    ok(pull);
    expect(pull.stdout).toContain(`Digest: ${source.manifestDigest}`);
    const id = tsctr(sb, ['image', 'inspect', '--format', '{{.Id}}', target()]);
    expect(id.stdout).toBe(`${image.configDigest}\n`);
    const run = tsctr(sb, ['run', '--rm', target(), 'cat', '/etc/salt']);
    expect(run).toMatchObject({ code: 0, stdout: 'push\n' });
  });

  it('says "Layer already exists" and uploads nothing the second time', async () => {
    proxy.reset();
    const r = await tsctrAwait(sb, ['push', target()]);
    ok(r);
    for (const id of layerIds()) expect(r.stdout).toContain(`${id}: Layer already exists\n`);
    expect(requests().filter((e) => e.kind === 'upload')).toEqual([]);
  });

  it('mounts the layers into another repository of the same registry', async () => {
    ok(tsctr(sb, ['tag', target(), `${proxy.host}/team/copy:v1`]));
    proxy.reset();
    const r = await tsctrAwait(sb, ['push', `${proxy.host}/team/copy:v1`]);
    expect(r.stderr).toBe('');
    ok(r);
    for (const id of layerIds()) expect(r.stdout).toContain(`${id}: Mounted from app/busybox\n`);
    const uploads = requests().filter((e) => e.kind === 'upload');
    expect(
      uploads.every((e) => e.method === 'POST' && e.query.includes('from=app%2Fbusybox')),
    ).toBe(true);
    expect(uploads.length).toBe(image.layers.length + 1);
    expect(r.stdout).toContain(`v1: digest: ${source.manifestDigest}`);
  });

  it('-q prints only the name; -a pushes every local tag of the repository', async () => {
    ok(tsctr(sb, ['tag', target(), `${proxy.host}/app/busybox:v2`]));
    const q = await tsctrAwait(sb, ['push', '-q', `${proxy.host}/app/busybox:v2`]);
    expect(q).toMatchObject({ code: 0, stdout: `${proxy.host}/app/busybox:v2\n` });
    const all = await tsctrAwait(sb, ['push', '--all-tags', `${proxy.host}/app/busybox`]);
    ok(all);
    expect(all.stdout.match(/^v\d: digest: .*$/gm)).toEqual([
      `v1: digest: ${source.manifestDigest} size: ${source.manifest.length}`,
      `v2: digest: ${source.manifestDigest} size: ${source.manifest.length}`,
    ]);
  });

  it('explains an image stored without its registry manifest', async () => {
    const rec = join(sb.root, 'images', `${image.configDigest.slice(7)}.json`);
    const saved = readFileSync(rec, 'utf8');
    const stripped = JSON.parse(saved) as Record<string, unknown>;
    delete stripped.manifestBlob;
    writeFileSync(rec, JSON.stringify(stripped));
    try {
      const r = await tsctrAwait(sb, ['push', target()]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(
        /has no stored registry manifest, so it cannot be pushed as is\nHint: .*pull it again/,
      );
    } finally {
      writeFileSync(rec, saved);
    }
  });
});

describe('push to a token-auth registry', () => {
  it('gets a push token after the pull one, mounts, and the image pulls back', async () => {
    const secured = await startRegistry({ auth: 'token', credentials: DEFAULT_CREDENTIALS });
    const fresh = sandbox();
    try {
      const tokens = secured.tokenServer!.requests;
      ok(tsctr(fresh, ['pull', sourceRef]));
      const name = `${secured.host}/sec/app:v1`;
      ok(tsctr(fresh, ['tag', sourceRef, name]));
      const denied = await tsctrAwait(fresh, ['push', name]);
      expect(denied.code).toBe(125);
      expect(denied.stderr).toMatch(/unauthorized: authentication required/);

      const login = await tsctrAwait(fresh, ['login', '-u', USER, '-p', PASS, secured.host]);
      expect(login).toMatchObject({ code: 0, stdout: 'Login Succeeded\n' });
      tokens.length = 0;
      const r = await tsctrAwait(fresh, ['push', name]);
      expect(r.stderr).toBe('');
      ok(r);
      expect(r.stdout).toContain(`v1: digest: ${source.manifestDigest}`);
      // The first blob check asks to pull; the upload is refused for insufficient scope and
      // asks again for push, with the user's credentials.
      // The actions as a set: the scope comes from the registry's challenge, in its order.
      const scopes = tokens.map((t) =>
        t.scopes.map((s) => s.replace(/[^:]+$/, (a) => a.split(',').sort().join(','))).join(' '),
      );
      expect(scopes[0]).toBe('repository:sec/app:pull');
      expect(scopes).toContain('repository:sec/app:pull,push');
      expect(tokens.every((t) => t.account === USER && t.granted)).toBe(true);

      const copy = `${secured.host}/sec/copy:v1`;
      ok(tsctr(fresh, ['tag', name, copy]));
      tokens.length = 0;
      const mount = await tsctrAwait(fresh, ['push', copy]);
      ok(mount);
      expect(mount.stdout).toContain('Mounted from sec/app');
      expect(tokens.some((t) => t.scopes.includes('repository:sec/app:pull'))).toBe(true);

      ok(tsctr(fresh, ['rmi', '-f', image.configDigest]));
      const pull = await tsctrAwait(fresh, ['pull', copy]);
      ok(pull);
      const run = tsctr(fresh, ['run', '--rm', copy, 'cat', '/etc/salt']);
      expect(run).toMatchObject({ code: 0, stdout: 'push\n' });
    } finally {
      fresh.cleanup();
      await secured.stop();
    }
  });
});

describe('chunked uploads', () => {
  it('PATCHes Content-Range chunks, resumes after a refused chunk, and the blob is intact', async () => {
    const blob = randomBytes(300 * 1024 + 17);
    const digest = sha256Digest(blob);
    const ranges: string[] = [];
    proxy.reset();
    proxy.setBehaviour((req) => {
      if (req.method !== 'PATCH') return undefined;
      ranges.push(String(req.headers['content-range']));
      // The second chunk's first attempt is refused, as a registry refuses an out-of-order one.
      if (ranges.length === 2) return respond(416, '');
      return undefined;
    });
    const client = new RegistryClient(proxy.host, {
      credentials: () => Promise.resolve(DEFAULT_CREDENTIALS),
    });
    try {
      await uploadBlob(
        client,
        'chunks/blob',
        {
          digest,
          size: blob.length,
          open: (start, end) => Readable.from([blob.subarray(start, end + 1)]),
        },
        { chunkSize: 100 * 1024 },
      );
    } finally {
      proxy.setBehaviour(() => undefined);
      await client.close();
    }
    expect(ranges).toEqual([
      '0-102399',
      '102400-204799',
      '102400-204799',
      '204800-307199',
      `307200-${blob.length - 1}`,
    ]);
    const statusChecks = proxy.log.filter((e) => e.method === 'GET' && e.route.kind === 'upload');
    expect(statusChecks.length).toBe(1);
    const auth = Buffer.from(`${USER}:${PASS}`).toString('base64');
    const res = await request(`${basic.url}/v2/chunks/blob/blobs/${digest}`, {
      headers: { authorization: `Basic ${auth}` },
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(body.equals(blob)).toBe(true);
  });
});

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), answering each prompt as it
 * appears, as a user at a terminal would.
 */
async function onTerminal(
  s: Sandbox,
  args: string[],
  answers: [prompt: string, reply: string][],
): Promise<{ code: number | null; output: string }> {
  const argv =
    process.getuid!() === 0
      ? ['setpriv', `--reuid=${s.user.uid}`, `--regid=${s.user.gid}`, '--init-groups', '--', BIN]
      : [BIN];
  const quoted = [...argv, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', quoted, '/dev/null'], {
    env: s.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let next = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    const want = answers[next];
    if (want && output.endsWith(want[0])) {
      next++;
      child.stdin.write(want[1]);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  return { code, output };
}
