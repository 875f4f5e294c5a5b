/**
 * Layers are committed before they are synced, then synced in the background and marked
 * (src/storage/durability.ts). A crash cannot be staged here, so the tests make the store look
 * as one leaves it: layer.json naming another boot, no marker, files cut short. Then `run` must
 * refuse the layer and `pull` or `load` must import it again; a layer of an earlier boot with its
 * marker, and one written before boot ids were recorded, stay in use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import {
  buildBusyboxImage,
  corruptBlobOnDisk,
  pushImage,
  withWrongDiffId,
  type TestImage,
} from '../fixtures/images.ts';
import { sandbox, tsctr, tsctrAwait, type Sandbox } from './harness.ts';
import { traceTsctr } from './trace.ts';

let reg: TestRegistry;
let image: TestImage;
let ref: string;
const BOOT = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

beforeAll(async () => {
  reg = await startRegistry();
  image = await buildBusyboxImage({ salt: 'durable' });
  await pushImage(reg.host, 'durable/busybox', 'v1', image, { format: 'docker' });
  ref = `${reg.host}/durable/busybox:v1`;
});

afterAll(async () => {
  await reg?.stop();
});

interface Meta {
  diffId: string;
  size: number;
  bootId?: string;
  token?: string;
}

const hex = (digest: string) => digest.slice(7);
const metaPath = (sb: Sandbox, diffId: string) =>
  join(sb.root, 'layers', hex(diffId), 'layer.json');
const readMeta = (sb: Sandbox, diffId: string) =>
  JSON.parse(readFileSync(metaPath(sb, diffId), 'utf8')) as Meta;
const marker = (sb: Sandbox, m: Meta) => join(sb.root, 'synced', `${hex(m.diffId)}-${m.token}`);
/** The layer holding bin/busybox, the one the tests damage. */
const base = () => image.layers[0]!;

function ok(r: { code: number | null; stderr: string }) {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/** Waits for the background sync to mark every layer of the image. */
async function markers(sb: Sandbox): Promise<void> {
  // A whole-filesystem sync can take a while on a busy machine.
  for (let i = 0; i < 1200; i++) {
    if (image.layers.every((l) => existsSync(marker(sb, readMeta(sb, l.diffId))))) return;
    await sleep(100);
  }
  throw new Error('the layers were never marked synced');
}

/** What a crash before write-back leaves: another boot's layer.json, no marker, a file cut short. */
function crashBefore(sb: Sandbox, diffId: string): void {
  const m = readMeta(sb, diffId);
  rmSync(marker(sb, m), { force: true });
  writeFileSync(metaPath(sb, diffId), JSON.stringify({ ...m, bootId: randomUUID() }));
  truncateSync(join(sb.root, 'layers', hex(diffId), 'diff/bin/busybox'), 0);
}

/** A sandbox of its own with the image pulled and its layers marked synced, for `fn`. */
async function withMarkedPull(fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = sandbox();
  try {
    ok(tsctr(sb, ['pull', '-q', ref]));
    await markers(sb);
    await fn(sb);
  } finally {
    sb.cleanup();
  }
}

const busyboxSize = (sb: Sandbox, diffId: string) =>
  statSync(join(sb.root, 'layers', hex(diffId), 'diff/bin/busybox')).size;

describe('deferred sync', () => {
  it('commits layers with the boot id and marks them once synced in the background', async () => {
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      for (const l of image.layers) {
        const m = readMeta(sb, l.diffId);
        expect(m.bootId).toBe(BOOT);
        expect(m.token).toMatch(/^[0-9a-f]{16}$/);
      }
      await markers(sb);
    } finally {
      sb.cleanup();
    }
  });

  it('uses an unsynced layer of this boot, and the next pull has it synced', async () => {
    await withMarkedPull(async (sb) => {
      // As a pull killed before its background sync leaves them.
      for (const l of image.layers) rmSync(marker(sb, readMeta(sb, l.diffId)), { force: true });
      const run = tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']);
      expect(run.stdout).toBe('durable\n');
      const again = tsctr(sb, ['pull', ref]);
      ok(again);
      expect(again.stdout).toContain('Image is up to date');
      await markers(sb);
    });
  });

  it('keeps using layers of an earlier boot that were marked, and older layers without boot ids', async () => {
    await withMarkedPull(async (sb) => {
      const [first, second] = image.layers.map((l) => readMeta(sb, l.diffId));
      writeFileSync(
        metaPath(sb, first!.diffId),
        JSON.stringify({ ...first, bootId: randomUUID() }),
      );
      writeFileSync(
        metaPath(sb, second!.diffId),
        JSON.stringify({ diffId: second!.diffId, size: second!.size }),
      );
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
      const again = tsctr(sb, ['pull', ref]);
      ok(again);
      expect(again.stdout).toContain('Image is up to date');
    });
  });
});

describe('a layer left unsynced by a crash', () => {
  it('is refused by run and imported again by pull, from the kept blob', async () => {
    await withMarkedPull(async (sb) => {
      const whole = busyboxSize(sb, base().diffId);
      crashBefore(sb, base().diffId);

      const run = tsctr(sb, ['run', '--rm', ref, 'true']);
      expect(run.code).toBe(125);
      expect(run.stderr).toBe(
        `Error: layer ${base().diffId} of image ${ref} may be incomplete: the machine went down before it was written to disk\n` +
          `Hint: pull the image again to repair it: tsctr pull ${ref}\n`,
      );

      // The registry's copy is made bad: only the kept blob can give the layer back.
      await corruptBlobOnDisk(reg, base().digest);
      try {
        const pull = tsctr(sb, ['pull', ref]);
        ok(pull);
        expect(pull.stdout).toContain(`${hex(base().digest).slice(0, 12)}: Pull complete`);
        expect(pull.stdout).toContain('Downloaded newer image');
      } finally {
        await corruptBlobOnDisk(reg, base().digest, base().blob);
      }
      expect(busyboxSize(sb, base().diffId)).toBe(whole);
      expect(readMeta(sb, base().diffId).bootId).toBe(BOOT);
      expect(readdirSync(join(sb.root, 'tmp'))).toEqual([]);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
      await markers(sb);
    });
  });

  it('is downloaded again when the kept blob is damaged too', async () => {
    await withMarkedPull(async (sb) => {
      crashBefore(sb, base().diffId);
      const blob = join(sb.root, 'blobs/sha256', hex(base().digest));
      writeFileSync(blob, 'not the blob');
      ok(tsctr(sb, ['pull', '-q', ref]));
      const kept = readFileSync(blob);
      expect(`sha256:${createHash('sha256').update(kept).digest('hex')}`).toBe(base().digest);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
    });
  });

  it('counts an unreadable layer.json of an earlier boot as suspect; load imports it again', async () => {
    await withMarkedPull(async (sb) => {
      const archive = join(sb.dir, 'image.tar');
      ok(tsctr(sb, ['save', '-o', archive, ref]));
      crashBefore(sb, base().diffId);
      // A crash can also leave layer.json itself empty.
      writeFileSync(metaPath(sb, base().diffId), '');
      expect(tsctr(sb, ['run', '--rm', ref, 'true']).stderr).toMatch(/may be incomplete/);
      ok(tsctr(sb, ['load', '-q', '-i', archive]));
      expect(readMeta(sb, base().diffId).bootId).toBe(BOOT);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
    });
  });

  it('garbage collection removes the markers of removed layers', async () => {
    await withMarkedPull(async (sb) => {
      expect(readdirSync(join(sb.root, 'synced'))).toHaveLength(image.layers.length);
      ok(tsctr(sb, ['rmi', ref]));
      expect(readdirSync(join(sb.root, 'synced'))).toEqual([]);
    });
  });
});

const AS_ROOT = process.getuid!() === 0;

describe('when layers reach the disk', () => {
  it('marks layers only after sync -f of the layers filesystem has returned', async () => {
    const sb = sandbox();
    try {
      // A sync that records its arguments and waits to be let go.
      const shim = join(sb.dir, 'shim');
      mkdirSync(shim);
      if (AS_ROOT) chownSync(shim, sb.user.uid, sb.user.gid);
      writeFileSync(
        join(shim, 'sync'),
        `#!/bin/sh\necho "$@" > ${shim}/args\nwhile [ ! -e ${shim}/go ]; do sleep 0.05; done\nexec /bin/sync "$@"\n`,
        { mode: 0o755 },
      );
      sb.env.PATH = `${shim}:${sb.env.PATH}`;
      ok(tsctr(sb, ['pull', '-q', ref]));
      for (let i = 0; i < 200 && !existsSync(join(shim, 'args')); i++) await sleep(50);
      expect(readFileSync(join(shim, 'args'), 'utf8')).toBe(`-f -- ${join(sb.root, 'layers')}\n`);
      await sleep(500);
      expect(readdirSync(join(sb.root, 'synced'))).toEqual([]);
      // Usable meanwhile: committed in this boot.
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
      writeFileSync(join(shim, 'go'), '');
      await markers(sb);
    } finally {
      sb.cleanup();
    }
  });

  it('leaves syncing to the background: the layer writers do not sync', () => {
    const sb = sandbox();
    try {
      expect(traceTsctr(sb, ['pull', '-q', ref], ['syncfs']).callers('syncfs')).toEqual(
        new Set(['sync']),
      );
    } finally {
      sb.cleanup();
    }
  });

  // Hiding the boot id takes a mount namespace of root's; CI runs as root.
  it.runIf(AS_ROOT)('syncs each layer before its commit where the boot id cannot be read', () => {
    const sb = sandbox();
    try {
      const empty = join(sb.dir, 'no-boot-id');
      writeFileSync(empty, '');
      const hide = [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$0" /proc/sys/kernel/random/boot_id && exec "$@"',
        empty,
      ];
      expect(traceTsctr(sb, ['pull', '-q', ref], ['syncfs'], hide).callers('syncfs')).toEqual(
        new Set(['tsctr-unpack']),
      );
      for (const l of image.layers) {
        expect(readMeta(sb, l.diffId)).toEqual({ diffId: l.diffId, size: expect.any(Number) });
      }
      expect(existsSync(join(sb.root, 'synced'))).toBe(false);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
    } finally {
      sb.cleanup();
    }
  });
});

describe('importing again', () => {
  it('keeps a shared blob when an image lies about the diff_id of its layer', async () => {
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      // Same layer blob, another diff_id: the layer is missing, its blob is kept.
      const bad = withWrongDiffId(image, 0);
      await pushImage(reg.host, 'durable/liar', 'v1', bad, { format: 'docker' });
      const r = tsctr(sb, ['pull', `${reg.host}/durable/liar:v1`]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(/does not match the image config: diff_id/);
      expect(existsSync(join(sb.root, 'blobs/sha256', hex(base().digest)))).toBe(true);
      ok(tsctr(sb, ['save', '-o', join(sb.dir, 'still.tar'), ref]));
    } finally {
      sb.cleanup();
    }
  });

  it('repairs a suspect layer once when two pulls meet it', async () => {
    await withMarkedPull(async (sb) => {
      const whole = busyboxSize(sb, base().diffId);
      crashBefore(sb, base().diffId);
      const [a, b] = await Promise.all([
        tsctrAwait(sb, ['pull', ref]),
        tsctrAwait(sb, ['pull', ref]),
      ]);
      ok(a);
      ok(b);
      expect(busyboxSize(sb, base().diffId)).toBe(whole);
      expect(readdirSync(join(sb.root, 'tmp'))).toEqual([]);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
    });
  });

  it('garbage collection drops the marker of an earlier copy of a layer still present', async () => {
    await withMarkedPull(async (sb) => {
      const other = `${reg.host}/durable/other:v1`;
      await pushImage(reg.host, 'durable/other', 'v1', await buildBusyboxImage({ salt: 'other' }), {
        format: 'docker',
      });
      ok(tsctr(sb, ['pull', '-q', other]));
      const stale = `${hex(base().diffId)}-${'0'.repeat(16)}`;
      writeFileSync(join(sb.root, 'synced', stale), '');
      ok(tsctr(sb, ['rmi', other]));
      const left = readdirSync(join(sb.root, 'synced'));
      expect(left).not.toContain(stale);
      expect(left.sort()).toEqual(
        image.layers.map((l) => `${hex(l.diffId)}-${readMeta(sb, l.diffId).token}`).sort(),
      );
    });
  });
});
