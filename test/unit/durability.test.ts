/**
 * The layer states of src/storage/durability.ts, from layer.json text and marker presence.
 * The integration test (test/integration/durability.test.ts) covers what pull, load and run
 * do with them.
 */
import { describe, expect, it } from 'vitest';
import { currentBootId, markerName, stateOf, unsyncedStamp } from '../../src/storage/durability.ts';

const diffId = `sha256:${'ab'.repeat(32)}`;
const now = currentBootId()!;
const earlier = '00000000-0000-4000-8000-000000000000';
const json = (o: object) => JSON.stringify({ diffId, size: 1, ...o });
const none = () => false;
const all = () => true;

describe('layer states', () => {
  it('reads the boot id of this machine', () => {
    expect(now).toMatch(/^[0-9a-f-]{36}$/);
    const stamp = unsyncedStamp()!;
    expect(stamp.bootId).toBe(now);
    expect(stamp.token).toMatch(/^[0-9a-f]{16}$/);
    expect(unsyncedStamp()!.token).not.toBe(stamp.token);
  });

  it('names a marker by layer and token', () => {
    expect(markerName(diffId, '0123456789abcdef')).toBe(`${'ab'.repeat(32)}-0123456789abcdef`);
  });

  it('tells missing, sound, unsynced and suspect layers apart', () => {
    expect(stateOf(undefined, all)).toBe('missing');
    // Written by a writer that synced before commit.
    expect(stateOf(json({}), none)).toBe('sound');
    expect(stateOf(json({ bootId: now, token: 't' }), none)).toBe('unsynced');
    expect(stateOf(json({ bootId: now, token: 't' }), all)).toBe('sound');
    expect(stateOf(json({ bootId: earlier, token: 't' }), none)).toBe('suspect');
    expect(stateOf(json({ bootId: earlier, token: 't' }), all)).toBe('sound');
  });

  it('asks for the marker of the layer.json token only', () => {
    const asked: string[] = [];
    const has = (t: string) => (asked.push(t), t === 'new');
    expect(stateOf(json({ bootId: earlier, token: 'old' }), has)).toBe('suspect');
    expect(stateOf(json({ bootId: earlier, token: 'new' }), has)).toBe('sound');
    expect(asked).toEqual(['old', 'new']);
  });

  it('counts a layer.json a crash cut short as suspect', () => {
    expect(stateOf('', none)).toBe('suspect');
    expect(stateOf('{"diffId":"sha256:ab', none)).toBe('suspect');
    expect(stateOf('null', none)).toBe('suspect');
    // Without a token no marker can vouch for it.
    expect(stateOf(json({ bootId: earlier }), all)).toBe('suspect');
  });
});
