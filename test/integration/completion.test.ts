/**
 * Shell completion end to end: `tsctr autocomplete` writes the files, and real bash, zsh and
 * fish complete with them, as the test user, against a store holding a pulled image, a tag of
 * it and a stopped container. bash and zsh complete only in their line editors, so they run
 * interactively in a pseudo-terminal (test/fixtures/completion/*.zsh, through zsh/zpty).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startRegistry, type TestRegistry } from '../fixtures/registry.ts';
import { seedBusybox } from '../fixtures/images.ts';
import { BIN, runAs, sandbox, tsctr, type Sandbox } from './harness.ts';
import { bundlesRead } from './trace.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/completion');
const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';

let reg: TestRegistry;
let sb: Sandbox;
/** Where a free argument completes files: two known ones. */
let files: string;
let images: string[];
let containerId: string;
let imageId: string;

beforeAll(async () => {
  reg = await startRegistry();
  await seedBusybox(reg.host, 'busybox', 'latest');
  sb = sandbox();
  // `tsctr` on PATH, as the completion files run it by the name typed.
  const bin = join(sb.dir, 'bin');
  files = join(sb.dir, 'files');
  for (const d of [bin, files]) mkdirSync(d);
  symlinkSync(BIN, join(bin, 'tsctr'));
  for (const f of ['notes.txt', 'run.sh']) writeFileSync(join(files, f), '');
  sb.env.PATH = `${bin}:${sb.env.PATH}`;
  sb.env.XDG_CACHE_HOME = join(sb.home, '.cache');
  if (process.getuid!() === 0) for (const d of [bin, files]) chownSync(d, sb.user.uid, sb.user.gid);

  const image = `${reg.host}/busybox`;
  for (const args of [
    ['pull', '-q', image],
    ['tag', image, 'busybox:1.36'],
    ['run', '--name', 'box1', image, 'true'],
  ]) {
    const r = tsctr(sb, args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
  images = [`${image}:latest`, 'busybox:1.36'].sort();
  containerId = tsctr(sb, ['ps', '-aq', '--no-trunc']).stdout.trim();
  imageId = tsctr(sb, ['images', '-q']).stdout.trim();
  expect(containerId).toMatch(/^[0-9a-f]{64}$/);
  expect(imageId).toMatch(/^[0-9a-f]{12}$/);

  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = tsctr(sb, ['autocomplete', shell]);
    expect(r.code).toBe(0);
  }
});

afterAll(async () => {
  sb?.cleanup();
  await reg?.stop();
});

const sorted = (lines: string[]) => [...new Set(lines)].sort();
const script = (shell: string) => tsctr(sb, ['autocomplete', 'script', shell]).stdout;

describe('tsctr __complete', () => {
  const complete = (...words: string[]) => tsctr(sb, ['__complete', '--', ...words]);

  it('prints the names that go under the cursor and exits 0', () => {
    expect(complete('rmi', '')).toEqual({
      code: 0,
      signal: null,
      stdout: images.join('\n') + '\n',
      stderr: '',
    });
    expect(complete('inspect', '').stdout.split('\n')).toEqual(['box1', ...images, '']);
    expect(complete('run', '--network=').stdout).toBe(
      '--network=host\n--network=none\n--network=pasta\n--network=slirp4netns\n',
    );
  });

  it('exits 0 with no names where names go but none match', () => {
    expect(complete('rmi', 'nosuch')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    // --root before the command says where the names are.
    expect(complete('--root', join(sb.dir, 'empty'), 'rmi', '')).toMatchObject({
      code: 0,
      stdout: '',
    });
  });

  it('offers IDs once two characters of one are typed, as podman does', () => {
    const c = containerId.slice(0, 3);
    const i = imageId.slice(0, 3);
    // Containers first, then images, each kind sorted.
    const all = [...sorted(['box1', containerId.slice(0, 12)]), ...sorted([...images, imageId])];
    expect(complete('inspect', c).stdout.split('\n')).toEqual([
      ...all.filter((n) => n.startsWith(c)),
      '',
    ]);
    expect(complete('rmi', i).stdout).toBe(`${imageId}\n`);
    expect(complete('rmi', containerId.slice(0, 1)).stdout).not.toContain(imageId);
  });

  it('exits 1 and prints nothing where no name goes', () => {
    for (const words of [['ps', ''], ['ima'], ['run', 'busybox:1.36', ''], ['ps', '--']]) {
      expect(complete(...words)).toMatchObject({ code: 1, stdout: '', stderr: '' });
    }
  });

  it('runs on the front door: oclif and the commands it completes stay unloaded', () => {
    const r = bundlesRead(sb, ['__complete', '--', 'run', '--rm', '']);
    expect(r.stdout).toBe(images.join('\n') + '\n');
    expect(r.bundles).toEqual(['commands/__complete.cjs']);
  });
});

describe.each([
  ['bash', ''],
  ['bash with bash-completion', BASH_COMPLETION],
])('%s', (_name, library) => {
  /** TAB after `line` in an interactive bash set up as `autocomplete script bash` says. */
  const tab = (line: string) => {
    if (library)
      expect(existsSync(library), `${library} (apt-get install bash-completion)`).toBe(true);
    const setup = `${library ? `source ${library}; ` : ''}${script('bash')}`;
    const r = runAs(sb, 'zsh', ['-f', `${FIXTURES}/readline.zsh`, setup, line], {
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const field = (name: string) =>
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith(`${name} `))
        .map((l) => l.slice(name.length + 1));
    return { spec: field('spec'), words: field('word'), replies: field('reply') };
  };

  it('registers a function that falls back to files', () => {
    expect(tab('tsctr rmi ').spec).toEqual(['complete -o default -F _tsctr_complete tsctr']);
  });

  it('completes image names', () => {
    expect(sorted(tab('tsctr rmi ').replies)).toEqual(images);
    expect(tab('tsctr image rm bus').replies).toEqual(['busybox:1.36']);
    expect(sorted(tab('tsctr run --rm ').replies)).toEqual(images);
    expect(sorted(tab('tsctr tag busybox:1.36 ').replies)).toEqual(images);
  });

  it('completes a name that readline splits at its colons', () => {
    const [host, port] = reg.host.split(':') as [string, string];
    const t = tab(`tsctr rmi ${reg.host}/busybox:`);
    expect(t.words).toEqual(['tsctr', 'rmi', host, ':', `${port}/busybox`, ':']);
    // Readline replaces only what follows the last colon.
    expect(t.replies).toEqual(['latest']);
    const u = tab('tsctr rmi busybox:1');
    expect(u.words).toEqual(['tsctr', 'rmi', 'busybox', ':', '1']);
    expect(u.replies).toEqual(['1.36']);
  });

  it('completes network modes for run --network, in both spellings', () => {
    expect(tab('tsctr run --network ').replies).toEqual(['host', 'none', 'pasta', 'slirp4netns']);
    expect(tab('tsctr run --network=').replies).toEqual(['host', 'none', 'pasta', 'slirp4netns']);
    expect(tab('tsctr container run -it --net n').replies).toEqual(['none']);
  });

  it('completes containers and images for inspect', () => {
    expect(sorted(tab('tsctr inspect ').replies)).toEqual(sorted(['box1', ...images]));
  });

  it('still completes flags and commands', () => {
    expect(sorted(tab('tsctr ps --').replies)).toEqual([
      '--all',
      '--filter',
      '--format',
      '--last',
      '--latest',
      '--no-trunc',
      '--quiet',
      '--size',
    ]);
    expect(sorted(tab('tsctr ima').replies)).toEqual(['image', 'images']);
    expect(sorted(tab('tsctr image r').replies)).toEqual(['remove', 'rm']);
  });

  it("leaves run's command line to readline's files", () => {
    expect(tab('tsctr run busybox:1.36 ').replies).toEqual([]);
  });
});

describe('zsh', () => {
  /** The matches zsh offers at TAB after `line`, set up as `autocomplete script zsh` says. */
  const tab = (line: string) => {
    const setup = `cd ${files}; ${script('zsh')}`;
    const r = runAs(sb, 'zsh', ['-f', `${FIXTURES}/zle.zsh`, setup, line], { timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return sorted(r.stdout.split('\n').filter(Boolean));
  };

  it('loads the completion function without a word on stderr', () => {
    const r = runAs(sb, 'zsh', [
      '-f',
      '-c',
      `${script('zsh')}\nautoload +X _tsctr && whence -w _tsctr`,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: '_tsctr: function\n', stderr: '' });
  });

  it('completes image names, colons and all', () => {
    expect(tab('tsctr rmi ')).toEqual(images);
    expect(tab('tsctr image rm bus')).toEqual(['busybox:1.36']);
    expect(tab(`tsctr rmi ${reg.host}/busybox:`)).toEqual([`${reg.host}/busybox:latest`]);
    expect(tab('tsctr run --rm ')).toEqual(images);
  });

  it('completes network modes and containers', () => {
    expect(tab('tsctr run --network ')).toEqual(['host', 'none', 'pasta', 'slirp4netns']);
    expect(tab('tsctr run --network=')).toEqual([
      '--network=host',
      '--network=none',
      '--network=pasta',
      '--network=slirp4netns',
    ]);
    expect(tab('tsctr inspect ')).toEqual(sorted(['box1', ...images]));
  });

  it('still completes flags, commands and files', () => {
    expect(tab('tsctr ps --')).toEqual([
      '--all',
      '--filter',
      '--format',
      '--help',
      '--last',
      '--latest',
      '--no-trunc',
      '--quiet',
      '--size',
    ]);
    expect(tab('tsctr ima')).toEqual(['image', 'images']);
    expect(tab('tsctr run busybox:1.36 ')).toEqual(['notes.txt', 'run.sh']);
  });
});

describe('fish', () => {
  /** fish's candidates for `line`, set up as `autocomplete script fish` says. */
  const complete = (line: string) => {
    const r = runAs(sb, 'fish', [
      '--no-config',
      '-c',
      `cd ${files}; ${script('fish')}; complete -C ${JSON.stringify(line)}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return sorted(r.stdout.split('\n').filter(Boolean));
  };
  const names = (line: string) => complete(line).map((l) => l.split('\t')[0]!);

  it('sources the file the setup line names', () => {
    expect(script('fish')).toBe(
      `test -f ${sb.env.XDG_CACHE_HOME}/tsctr/autocomplete/functions/fish/tsctr.fish; and source ${sb.env.XDG_CACHE_HOME}/tsctr/autocomplete/functions/fish/tsctr.fish # tsctr autocomplete setup\n`,
    );
  });

  it('completes image names', () => {
    expect(names('tsctr rmi ')).toEqual(images);
    expect(names('tsctr image rm bus')).toEqual(['busybox:1.36']);
    expect(names(`tsctr rmi ${reg.host}/busybox:`)).toEqual([`${reg.host}/busybox:latest`]);
    expect(names('tsctr run --rm -e A=b ')).toEqual(images);
  });

  it('completes network modes and containers', () => {
    expect(names('tsctr run --network ')).toEqual(['host', 'none', 'pasta', 'slirp4netns']);
    expect(names('tsctr run --network=')).toEqual([
      '--network=host',
      '--network=none',
      '--network=pasta',
      '--network=slirp4netns',
    ]);
    expect(names('tsctr inspect ')).toEqual(sorted(['box1', ...images]));
    expect(names('tsctr --root /nonexistent inspect ')).toEqual([]);
  });

  it('completes commands, management commands and flags, with their summaries', () => {
    expect(complete('tsctr ima')).toEqual(['image\tManage images', 'images\tList images']);
    expect(complete('tsctr image r')).toEqual([
      'remove\tRemove one or more images',
      'rm\tRemove one or more images',
    ]);
    expect(complete('tsctr ps --')).toEqual([
      '--all\tShow all containers (default shows just running)',
      '--filter\tFilter output based on conditions provided (id, name, status, exited, label, ancestor, before, since, volume, restart-policy)',
      "--format\tFormat output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template",
      '--help\tPrint usage',
      '--last\tShow n last created containers (includes all states) (default -1)',
      '--latest\tShow the latest created container (includes all states)',
      "--no-trunc\tDon't truncate output",
      '--quiet\tOnly display container IDs',
      '--size\tDisplay total file sizes',
    ]);
    expect(names('tsctr autocomplete ')).toEqual(['bash', 'fish', 'powershell', 'zsh']);
    expect(names('tsctr --r')).toEqual(['--root', '--runroot']);
  });

  it("leaves run's command line to files", () => {
    expect(names('tsctr run busybox:1.36 ')).toEqual(['notes.txt', 'run.sh']);
  });
});
