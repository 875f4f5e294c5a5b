import { describe, expect, it } from 'vitest';
import { Args, Flags } from '../../src/cli/flags.ts';
import { parseArgv, wantsHelp } from '../../src/cli/parse.ts';
import { parseChallenge, tokenFromResponse } from '../../src/registry/auth.ts';
import { choosePlatform, classifyManifest } from '../../src/registry/manifest.ts';
import { layerPath } from '../../src/storage/unpack.ts';

const runShape = {
  flags: {
    env: Flags.strings({ char: 'e' }),
    interactive: Flags.boolean({ char: 'i' }),
    tty: Flags.boolean({ char: 't' }),
    rm: Flags.boolean(),
    network: Flags.string({ aliases: ['net'] }),
    hostname: Flags.string({ char: 'h' }),
  },
  args: { image: Args.string({ required: true }) },
  interspersed: false,
  strict: false,
};
const pullShape = {
  flags: { quiet: Flags.boolean({ char: 'q' }) },
  args: { image: Args.string({ required: true }) },
  interspersed: true,
  strict: true,
};

describe('flag parsing (pflag semantics)', () => {
  it('splits combined short options and stops at the image for run', () => {
    const p = parseArgv(
      'run',
      ['-it', '--rm', '-eA=b', '-e', 'C', 'img', 'sh', '-c', 'x'],
      runShape,
    );
    expect(p.flags).toEqual({
      env: ['A=b', 'C'],
      interactive: true,
      tty: true,
      rm: true,
      network: undefined,
      hostname: undefined,
    });
    expect(p.args).toEqual({ image: 'img' });
    expect(p.argv).toEqual(['img', 'sh', '-c', 'x']);
  });

  it('takes values after = or as the next word, aliases, and --bool=false', () => {
    const p = parseArgv(
      'run',
      ['--net', 'none', '--hostname=h', '--rm=false', '--', '-img'],
      runShape,
    );
    expect(p.flags.network).toBe('none');
    expect(p.flags.hostname).toBe('h');
    expect(p.flags.rm).toBe(false);
    expect(p.argv).toEqual(['-img']);
  });

  it("words errors as docker's CLI does", () => {
    expect(() => parseArgv('run', ['--nope', 'img'], runShape)).toThrow('unknown flag: --nope');
    expect(() => parseArgv('run', ['-x', 'img'], runShape)).toThrow(
      "unknown shorthand flag: 'x' in -x",
    );
    expect(() => parseArgv('run', ['img', '--name'], { ...runShape, interspersed: true })).toThrow(
      'unknown flag: --name',
    );
    expect(() => parseArgv('run', ['--hostname'], runShape)).toThrow(
      'flag needs an argument: --hostname',
    );
    expect(() => parseArgv('run', [], runShape)).toThrow(
      '"tsctr run" requires at least 1 argument.',
    );
    expect(() => parseArgv('pull', ['a', 'b'], pullShape)).toThrow(
      '"tsctr pull" requires exactly 1 argument.',
    );
  });

  it('allows options after positionals where docker does (interspersed)', () => {
    expect(parseArgv('pull', ['img', '-q'], pullShape).flags.quiet).toBe(true);
  });

  it('treats -h as hostname when the command has one, --help always as help', () => {
    expect(wantsHelp(['-h', 'x', 'img'], runShape)).toBe(false);
    expect(wantsHelp(['--help'], runShape)).toBe(true);
    expect(wantsHelp(['img', '--help'], runShape)).toBe(false);
    expect(wantsHelp(['-e', '--help', 'img'], runShape)).toBe(false);
    expect(wantsHelp(['-eh', '--help'], runShape)).toBe(true);
    expect(wantsHelp(['-h'], { ...pullShape, flags: {} })).toBe(true);
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
