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
  existsSync,
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
  type TestImage,
} from '../fixtures/images.ts';
import { sandbox, tsctr, type Sandbox } from './harness.ts';

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
  for (let i = 0; i < 300; i++) {
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
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      await markers(sb);
      // As a pull killed before its background sync leaves them.
      for (const l of image.layers) rmSync(marker(sb, readMeta(sb, l.diffId)), { force: true });
      const run = tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']);
      expect(run.stdout).toBe('durable\n');
      const again = tsctr(sb, ['pull', ref]);
      ok(again);
      expect(again.stdout).toContain('Image is up to date');
      await markers(sb);
    } finally {
      sb.cleanup();
    }
  });

  it('keeps using layers of an earlier boot that were marked, and older layers without boot ids', async () => {
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      await markers(sb);
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
    } finally {
      sb.cleanup();
    }
  });
});

describe('a layer left unsynced by a crash', () => {
  it('is refused by run and imported again by pull, from the kept blob', async () => {
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      await markers(sb);
      const whole = busyboxSize(sb, base().diffId);
      crashBefore(sb, base().diffId);

      const run = tsctr(sb, ['run', '--rm', ref, 'true']);
      expect(run.code).toBe(125);
      expect(run.stderr).toBe(
        `Error: layer ${base().diffId} of image ${ref} may be incomplete: the machine went down before it was written to disk\n` +
          `Hint: pull (or load) the image again to repair it: tsctr pull ${ref}\n`,
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
    } finally {
      sb.cleanup();
    }
  });

  it('is downloaded again when the kept blob is damaged too', async () => {
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      await markers(sb);
      crashBefore(sb, base().diffId);
      const blob = join(sb.root, 'blobs/sha256', hex(base().digest));
      writeFileSync(blob, 'not the blob');
      ok(tsctr(sb, ['pull', '-q', ref]));
      const kept = readFileSync(blob);
      expect(`sha256:${createHash('sha256').update(kept).digest('hex')}`).toBe(base().digest);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
    } finally {
      sb.cleanup();
    }
  });

  it('counts an unreadable layer.json of an earlier boot as suspect; load imports it again', async () => {
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      await markers(sb);
      const archive = join(sb.dir, 'image.tar');
      ok(tsctr(sb, ['save', '-o', archive, ref]));
      crashBefore(sb, base().diffId);
      // A crash can also leave layer.json itself empty.
      writeFileSync(metaPath(sb, base().diffId), '');
      expect(tsctr(sb, ['run', '--rm', ref, 'true']).stderr).toMatch(/may be incomplete/);
      ok(tsctr(sb, ['load', '-q', '-i', archive]));
      expect(readMeta(sb, base().diffId).bootId).toBe(BOOT);
      expect(tsctr(sb, ['run', '--rm', ref, 'cat', '/etc/salt']).stdout).toBe('durable\n');
    } finally {
      sb.cleanup();
    }
  });

  it('garbage collection removes the markers of removed layers', async () => {
    const sb = sandbox();
    try {
      ok(tsctr(sb, ['pull', '-q', ref]));
      await markers(sb);
      expect(readdirSync(join(sb.root, 'synced'))).toHaveLength(image.layers.length);
      ok(tsctr(sb, ['rmi', ref]));
      expect(readdirSync(join(sb.root, 'synced'))).toEqual([]);
    } finally {
      sb.cleanup();
    }
  });
});
