/**
 * The setup integration files share: a sandbox whose store holds busybox, pulled from a
 * registry of its own on loopback, made before the file's tests and removed after them (with
 * every container left in it).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { seedBusybox } from '../fixtures/images.ts';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { sandbox, tsctr, type Sandbox } from './harness.ts';

export interface BusyboxSandbox {
  sb: Sandbox;
  /** The image's name in the registry: HOST:PORT/busybox. */
  image: string;
}

/** Call at the top of a test file; the fields are set once its beforeAll hooks have run. */
export function withBusybox(): BusyboxSandbox {
  const box = {} as BusyboxSandbox;
  let reg: TestRegistry | undefined;
  beforeAll(async () => {
    box.sb = sandbox();
    reg = await startRegistry();
    await seedBusybox(reg.host, 'busybox', 'latest');
    box.image = `${reg.host}/busybox`;
    expect(tsctr(box.sb, ['pull', '-q', box.image]).code).toBe(0);
  });
  afterAll(async () => {
    if (box.sb) {
      const all = tsctr(box.sb, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (all.length) tsctr(box.sb, ['rm', '-f', ...all]);
      box.sb.cleanup();
    }
    await reg?.stop();
  });
  return box;
}
