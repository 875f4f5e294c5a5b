import { describe, expect, it } from 'vitest';
import { detachScanner, parseDetachKeys } from '../../src/runtime/attach.ts';
import { parseLogConfig } from '../../src/runtime/create.ts';

describe('detach keys', () => {
  it("parse docker's syntax", () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([
      0, 27, 28, 29, 30, 31,
    ]);
    expect([...parseDetachKeys('a,ctrl-a,X')]).toEqual([97, 1, 88]);
    for (const bad of ['ctrl-1', 'ctrl-', 'ab', '', 'ctrl-p,', 'é']) {
      expect(() => parseDetachKeys(bad), bad).toThrow(`Invalid detach keys (${bad}) provided`);
    }
  });

  it('detach on the whole sequence and forward everything else, across chunks', () => {
    const keys = parseDetachKeys('ctrl-p,ctrl-q');
    const scan = detachScanner(keys);
    expect(scan(Buffer.from('ab'))).toEqual({ forward: Buffer.from('ab'), detach: false });
    // A lone Ctrl-P is held back until the next byte says what it was.
    expect(scan(Buffer.from([0x10]))).toEqual({ forward: Buffer.alloc(0), detach: false });
    expect(scan(Buffer.from('x'))).toEqual({
      forward: Buffer.from([0x10, 0x78]),
      detach: false,
    });
    expect(scan(Buffer.from([0x31, 0x10, 0x10, 0x11, 0x32]))).toEqual({
      forward: Buffer.from([0x31, 0x10]),
      detach: true,
    });
    const one = detachScanner(parseDetachKeys('ctrl-x'));
    expect(one(Buffer.from([0x61, 0x18]))).toEqual({ forward: Buffer.from('a'), detach: true });
  });
});

describe('--log-driver and --log-opt', () => {
  it("keep docker's names and check the options as docker does", () => {
    expect(parseLogConfig(undefined, [])).toEqual({ Type: 'json-file', Config: {} });
    expect(parseLogConfig('k8s-file', ['max-size=10m', 'max-file=3'])).toStrictEqual({
      Type: 'k8s-file',
      Config: { 'max-size': '10m', 'max-file': '3' },
    });
    expect(() => parseLogConfig('syslog', [])).toThrow(
      "logger: no log driver named 'syslog' is registered",
    );
    expect(() => parseLogConfig(undefined, ['compress=true'])).toThrow(
      "unknown log opt 'compress' for json-file log driver",
    );
    expect(() => parseLogConfig('none', ['max-size=1m'])).toThrow(
      "unknown log opt 'max-size' for none log driver",
    );
    expect(() => parseLogConfig(undefined, ['max-file=3'])).toThrow(
      'max-file cannot be set without max-size',
    );
    expect(() => parseLogConfig(undefined, ['max-size=ten'])).toThrow('invalid size');
    expect(() => parseLogConfig(undefined, ['max-size'])).toThrow(
      'invalid key value pair format in logging opts: max-size',
    );
    expect(() => parseLogConfig(undefined, ['max-size=1m', 'max-file=0'])).toThrow(
      'max-file cannot be less than 1',
    );
  });
});
