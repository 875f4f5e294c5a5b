import { describe, expect, it } from 'vitest';
import { normaliseArgv, wantsHelp, type FlagShape } from '../../src/cli/argv.ts';
import { parseChallenge, tokenFromResponse } from '../../src/registry/auth.ts';
import { choosePlatform, classifyManifest } from '../../src/registry/manifest.ts';
import { layerPath } from '../../src/storage/unpack.ts';

const runFlags: Record<string, FlagShape> = {
  env: { char: 'e', type: 'option' },
  interactive: { char: 'i', type: 'boolean' },
  tty: { char: 't', type: 'boolean' },
  rm: { type: 'boolean' },
  network: { type: 'option', aliases: ['net'] },
  hostname: { char: 'h', type: 'option' },
};

describe('argv normalisation', () => {
  it('splits combined short options and stops at the image for run', () => {
    expect(normaliseArgv(['-it', '--rm', '-eA=b', 'img', 'sh', '-c', 'x'], runFlags, true)).toEqual(
      ['-i', '-t', '--rm', '-e', 'A=b', '--', 'img', 'sh', '-c', 'x'],
    );
    expect(normaliseArgv(['--net', 'none', 'img'], runFlags, true)).toEqual([
      '--net',
      'none',
      '--',
      'img',
    ]);
    expect(normaliseArgv(['-e', 'X', 'img'], runFlags, true)).toEqual(['-e', 'X', '--', 'img']);
  });

  it('treats -h as hostname when the command has one, --help always as help', () => {
    expect(wantsHelp(['-h', 'x', 'img'], runFlags, true)).toBe(false);
    expect(wantsHelp(['--help'], runFlags, true)).toBe(true);
    expect(wantsHelp(['img', '--help'], runFlags, true)).toBe(false);
    expect(wantsHelp(['-h'], {}, false)).toBe(true);
  });
});

describe('registry auth', () => {
  it('parses a Bearer challenge with quoted values containing commas', () => {
    expect(
      parseChallenge('Bearer realm="https://a/token",service="reg",scope="repository:x:pull,push"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/token', service: 'reg', scope: 'repository:x:pull,push' },
    });
    expect(parseChallenge('Basic realm="r"')?.scheme).toBe('basic');
  });

  it('reads token or access_token and never caches for less than 60 s', () => {
    expect(tokenFromResponse({ token: 't', expires_in: 10 }, 1000)).toEqual({
      token: 't',
      expiresAt: 61_000,
    });
    expect(tokenFromResponse({ access_token: 'a', expires_in: 300 }, 0)).toEqual({
      token: 'a',
      expiresAt: 300_000,
    });
    expect(tokenFromResponse({}, 0)).toBeUndefined();
  });
});

describe('manifests', () => {
  it('refuses schema 1 with a clear message', () => {
    expect(() => classifyManifest(Buffer.from('{"schemaVersion":1}'), undefined, 'x')).toThrow(
      /schema 1/,
    );
  });

  it('picks the first entry for the wanted platform and names what exists otherwise', () => {
    const index = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'm',
          digest: 'sha256:a',
          size: 1,
          platform: { os: 'linux', architecture: 'arm64' },
        },
        {
          mediaType: 'm',
          digest: 'sha256:b',
          size: 1,
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    };
    expect(choosePlatform(index, { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe(
      'sha256:b',
    );
    expect(() => choosePlatform(index, { os: 'linux', architecture: 's390x' }, 'x')).toThrow(
      /no image found in image index for architecture s390x.*linux\/arm64, linux\/amd64/,
    );
  });
});

describe('layer paths', () => {
  it('normalises entry names and refuses ones that climb out', () => {
    expect(layerPath('./a/b/')).toBe('a/b');
    expect(layerPath('/etc/passwd')).toBe('etc/passwd');
    expect(layerPath('a/../b')).toBe('b');
    expect(layerPath('./')).toBe('');
    expect(() => layerPath('../etc/passwd')).toThrow(/outside the layer/);
    expect(() => layerPath('a/../../x')).toThrow(/outside the layer/);
  });
});
