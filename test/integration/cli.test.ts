/**
 * The command line as a user meets it, through the built CLI as the unprivileged user: oclif's
 * help for the root, topics and commands; docker's errors and exit codes; and, traced with
 * strace, that the every-day commands never read oclif's bundle while help and errors do.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { withBusybox } from './busybox.ts';
import { tsctr, type Sandbox } from './harness.ts';
import { bundlesRead } from './trace.ts';

const box = withBusybox();
let sb: Sandbox;
let image: string;
beforeAll(() => ({ sb, image } = box));

describe('help, rendered by oclif', () => {
  it('lists docker’s common commands, the management commands and the rest', () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const r = tsctr(sb, argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^USAGE\n {2}\$ tsctr \[OPTIONS\] COMMAND$/m);
      expect(r.stdout).toMatch(/^COMMON COMMANDS\n {2}run +Create and run a new container/m);
      expect(r.stdout).toMatch(
        /^MANAGEMENT COMMANDS\n {2}container +Manage containers\n {2}image +Manage images/m,
      );
      expect(r.stdout).toMatch(/^ {2}rmi +Remove one or more images$/m);
      expect(r.stdout).toMatch(/^ {2}--root string +Storage root/m);
    }
  });

  it('shows a command’s usage, flags, every name and examples', () => {
    for (const argv of [
      ['ps', '--help'],
      ['ps', '-h'],
      ['help', 'ps'],
      ['container', 'ls', '--help'],
    ]) {
      const r = tsctr(sb, argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(
        /^List containers\n\nUSAGE\n {2}\$ tsctr (ps|container ls) \[OPTIONS\]\n/,
      );
      expect(r.stdout).toMatch(
        /^ {2}-a, --all +Show all containers \(default shows just running\)$/m,
      );
      expect(r.stdout).toContain(
        'ALIASES\n  $ tsctr container ls\n  $ tsctr container list\n  $ tsctr container ps\n  $ tsctr ps\n',
      );
      expect(r.stdout).toMatch(/^EXAMPLES\n {2}\$ tsctr ps\n/m);
    }
  });

  it('reads -h as run’s --hostname and --help after the image as the container’s', () => {
    const r = tsctr(sb, [
      'run',
      '--rm',
      '-h',
      'box',
      image,
      'sh',
      '-c',
      'hostname; echo "$1"',
      'sh',
      '--help',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('box\n--help\n');
  });

  it('lists a management command’s verbs once each', () => {
    const r = tsctr(sb, ['image']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Manage images\n\nUSAGE\n {2}\$ tsctr image COMMAND\n/);
    expect(r.stdout).toMatch(/^ {2}image ls +List images$/m);
    expect(r.stdout).not.toMatch(/image list/);
  });
});

describe('errors in docker’s words', () => {
  const cases: [string[], number, string][] = [
    [['ps', '--nope'], 125, "Error: unknown flag: --nope\nHint: See 'tsctr ps --help'.\n"],
    [
      ['image', 'ls', '-x'],
      125,
      "Error: unknown shorthand flag: 'x' in -x\nHint: See 'tsctr image ls --help'.\n",
    ],
    [['pull'], 125, '"tsctr pull" requires exactly 1 argument.'],
    [['load', 'x'], 125, '"tsctr load" accepts no arguments.'],
    [['run', '--rm=maybe', 'x'], 125, 'invalid argument "maybe" for "--rm" flag'],
    [['--root'], 125, "Error: flag needs an argument: --root\nHint: See 'tsctr --help'.\n"],
    [
      ['imagess'],
      1,
      "Error: unknown command: tsctr imagess\nHint: Did you mean 'tsctr images'? Run 'tsctr --help' for more information.\n",
    ],
    [
      ['frobnicate'],
      1,
      "Error: unknown command: tsctr frobnicate\nHint: Run 'tsctr --help' for more information.\n",
    ],
  ];
  it.each(cases)('%j exits %i', (argv, code, text) => {
    const r = tsctr(sb, argv);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    if (text.startsWith('Error: ')) expect(r.stderr).toBe(text);
    else expect(r.stderr).toContain(text);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  });
});

describe('the every-day commands do not load oclif (nor the template engine)', () => {
  it.each([
    [['--version'], []],
    [['ps'], []],
    [['ps', '-a', '--format', '{{.Names}}'], []],
    [['images'], []],
    [['image', 'ls', '-q'], []],
    [['run', '--rm', 'IMAGE', 'true'], ['commands/container/run.cjs']],
    // The Go-template engine is a bundle of its own, read only by a template that needs it.
    [['images', '--format', '{{json .}}'], ['template.cjs']],
    [
      ['image', 'inspect', 'IMAGE'],
      ['commands/image/inspect.cjs', 'template.cjs'],
    ],
  ])('%j reads no bundle but %j besides its entry', (argv, bundles) => {
    const args = argv.map((a) => (a === 'IMAGE' ? image : a));
    expect(bundlesRead(sb, args).bundles).toEqual(bundles);
  });

  it.each([
    [['ps', '--help'], 0],
    [['ps', '--nope'], 125],
    [['imagess'], 1],
    [['image'], 0],
  ])('%j is answered by oclif', (argv, status) => {
    expect(bundlesRead(sb, argv, status).bundles).toContain('oclif.cjs');
  });
});
