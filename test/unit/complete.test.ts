/**
 * The walk `tsctr __complete` does over a command line (src/cli/complete.ts), on tsctr's own
 * commands: which word under the cursor is a name, of what, with what typed so far.
 */
import { describe, expect, it } from 'vitest';
import { completionSite, completionTable } from '../../src/cli/complete.ts';
import { Args, Flags, type ArgCompletion } from '../../src/cli/flags.ts';
import { routesOf } from '../../src/cli/routes.ts';
import Inspect from '../../src/commands/inspect.ts';
import Login from '../../src/commands/login.ts';
import Ps from '../../src/commands/container/ls.ts';
import Run from '../../src/commands/container/run.ts';
import ImageInspect from '../../src/commands/image/inspect.ts';
import Images from '../../src/commands/image/ls.ts';
import Pull from '../../src/commands/image/pull.ts';
import Rmi from '../../src/commands/image/rm.ts';
import Tag from '../../src/commands/image/tag.ts';

// A command whose completing flag has a letter, for the short-cluster forms.
class Connect {
  static aliases: string[] = [];
  static strict = true;
  static interspersed = true;
  static completion: ArgCompletion[] = ['container'];
  static args = { container: Args.string() };
  static flags = {
    detach: Flags.boolean({ char: 'd' }),
    network: Flags.string({ char: 'n', completion: 'network' }),
    alias: Flags.strings({ char: 'a' }),
  };
}

const commands = {
  'container:ls': Ps,
  'container:run': Run,
  'image:inspect': ImageInspect,
  'image:ls': Images,
  'image:pull': Pull,
  'image:rm': Rmi,
  'image:tag': Tag,
  inspect: Inspect,
  login: Login,
  'network:connect': Connect,
};
const routes = routesOf(commands);
const table = completionTable(commands);

/** `line` is what precedes the cursor, after `tsctr`; the last word may be empty. */
const site = (line: string) => completionSite(line.split(' '), routes, table);
const names = (kinds: string[], prefix = '', lead = '') => ({ kinds, prefix, lead });

describe('completionSite: positional arguments', () => {
  it('names images for rmi, and for every further image (not strict)', () => {
    expect(site('rmi ')).toEqual(names(['image']));
    expect(site('rmi bus')).toEqual(names(['image'], 'bus'));
    expect(site('rmi a b ')).toEqual(names(['image']));
    expect(site('image rm -f a ')).toEqual(names(['image']));
    expect(site('image remove --no-prune ')).toEqual(names(['image']));
  });

  it('names an image for each of tag’s two arguments, and nothing after them (strict)', () => {
    expect(site('tag ')).toEqual(names(['image']));
    expect(site('tag busybox:1.36 ')).toEqual(names(['image']));
    expect(site('image tag a b ')).toBeUndefined();
  });

  it('names containers or images for inspect, at every position', () => {
    expect(site('inspect ')).toEqual(names(['container', 'image']));
    expect(site('inspect box ')).toEqual(names(['container', 'image']));
    expect(site('inspect -f {{.Id}} bo')).toEqual(names(['container', 'image'], 'bo'));
  });

  it('names the image of run, then nothing in its command line', () => {
    expect(site('run ')).toEqual(names(['image']));
    expect(site('container run --rm -it ')).toEqual(names(['image']));
    expect(site('run busybox ')).toBeUndefined();
    expect(site('run busybox sh -c ')).toBeUndefined();
    // Options stop at the image: `--network` here is the container command's argument.
    expect(site('run busybox --network ')).toBeUndefined();
  });

  it('names nothing for commands whose arguments name nothing', () => {
    expect(site('pull ')).toBeUndefined();
    expect(site('login ')).toBeUndefined();
    expect(site('ps ')).toBeUndefined();
  });

  it('counts a lone "-" as an argument', () => {
    expect(site('tag - ')).toEqual(names(['image']));
    expect(site('rmi -')).toEqual(names(['image'], '-'));
  });
});

describe('completionSite: flags', () => {
  it('skips the values of flags that take one, whatever they look like', () => {
    expect(site('run -e X ')).toEqual(names(['image']));
    expect(site('run --name --rm ')).toEqual(names(['image']));
    expect(site('run --env=A=b -u 1000 ')).toEqual(names(['image']));
    expect(site('run -w /tmp -h host ')).toEqual(names(['image']));
    expect(site('inspect --type image ')).toEqual(names(['container', 'image']));
  });

  it('is no name where a flag without completion takes its value', () => {
    expect(site('run -e ')).toBeUndefined();
    expect(site('run --name ')).toBeUndefined();
    expect(site('inspect -f ')).toBeUndefined();
  });

  it('reads short clusters as pflag does: a value flag ends the cluster', () => {
    // -it then -e's value in the next word.
    expect(site('run -ite X ')).toEqual(names(['image']));
    expect(site('run -ite ')).toBeUndefined();
    // -eh: h is e's value, so the next word is the image.
    expect(site('run -eh ')).toEqual(names(['image']));
    expect(site('run -eA=b ')).toEqual(names(['image']));
  });

  it('names the value of a flag that names something, in each of its spellings', () => {
    expect(site('run --network ')).toEqual(names(['network']));
    expect(site('run --net n')).toEqual(names(['network'], 'n'));
    expect(site('run --rm --network=')).toEqual(names(['network'], '', '--network='));
    expect(site('run --net=no')).toEqual(names(['network'], 'no', '--net='));
    expect(site('network connect -dn ')).toEqual(names(['network']));
    expect(site('network connect -dnbr')).toEqual(names(['network'], 'br', '-dn'));
    expect(site('network connect -n=br')).toEqual(names(['network'], 'br', '-n='));
    expect(site('network connect -n ')).toEqual(names(['network']));
    expect(site('network connect -n none ')).toEqual(names(['container']));
  });

  it('leaves flag names to the shell', () => {
    expect(site('ps --')).toBeUndefined();
    expect(site('rmi --f')).toBeUndefined();
    expect(site('rmi -')).toEqual(names(['image'], '-'));
    expect(site('network connect -d')).toBeUndefined();
    expect(site('network connect -n')).toBeUndefined();
    expect(site('run --rm=')).toBeUndefined();
  });

  it('takes every word after "--" as an argument', () => {
    expect(site('rmi -- ')).toEqual(names(['image']));
    expect(site('rmi -- -f')).toEqual(names(['image'], '-f'));
    expect(site('tag -- a ')).toEqual(names(['image']));
    expect(site('tag -- a b ')).toBeUndefined();
  });

  it('reads a line pflag would refuse as far as it can', () => {
    expect(site('rmi --bogus ')).toEqual(names(['image']));
    expect(site('rmi -xyz ')).toEqual(names(['image']));
  });
});

describe('completionSite: the command', () => {
  it('leaves the command’s own name to the shell', () => {
    expect(site('')).toBeUndefined();
    expect(site('ima')).toBeUndefined();
    expect(site('image ')).toBeUndefined();
    expect(site('image r')).toBeUndefined();
    expect(site('bogus ')).toBeUndefined();
  });

  it('reads the global options before the command, and where they put the names', () => {
    expect(site('--root /r --runroot=/rr rmi ')).toEqual({
      ...names(['image']),
      root: '/r',
      runroot: '/rr',
    });
    expect(site('--root ')).toBeUndefined();
    expect(site('--root=/r ')).toBeUndefined();
    expect(site('--bogus rmi ')).toBeUndefined();
    expect(site('-v rmi ')).toBeUndefined();
  });
});

describe('completionTable', () => {
  it('keeps what the walk needs from each flag, under every long name', () => {
    expect(table['container:run']!.flags).toMatchObject({
      env: { char: 'e', value: true },
      rm: {},
      network: { value: true, completion: 'network' },
      net: { value: true, completion: 'network' },
    });
    expect(table['container:run']).toMatchObject({ strict: false, interspersed: false });
    expect(table['container:run']!.args).toEqual(['image', null]);
    expect(table['image:pull']!.args).toBeUndefined();
  });

  it('survives JSON, as the build bakes it', () => {
    expect(JSON.parse(JSON.stringify(table))).toEqual(table);
  });
});
