// File capabilities as `info` reads them: the real xattr written by setcap(8), decoded.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filePermittedCaps } from '../../src/system/info.ts';
import { native } from '../../src/native/loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsctr-caps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file capabilities', () => {
  it('decodes cap_setuid set by setcap, and reads no xattr as no capabilities', () => {
    const withCap = join(dir, 'newuidmap');
    const plain = join(dir, 'plain');
    copyFileSync('/bin/true', withCap);
    copyFileSync('/bin/true', plain);
    // Setting file capabilities needs CAP_SETFCAP: the unit tests run as root in CI.
    expect(process.getuid!()).toBe(0);
    execFileSync('/usr/sbin/setcap', ['cap_setuid,cap_setgid+ep', withCap]);
    const caps = filePermittedCaps(native().getxattr(withCap, 'security.capability'));
    expect(caps & (1n << 7n)).toBe(1n << 7n); // CAP_SETUID
    expect(caps & (1n << 6n)).toBe(1n << 6n); // CAP_SETGID
    expect(caps & (1n << 0n)).toBe(0n);
    expect(native().getxattr(plain, 'security.capability')).toBeNull();
    expect(filePermittedCaps(null)).toBe(0n);
  });
});
