/**
 * The two ways into a command must agree. A corpus of command lines — every command under every
 * name, each of its flags in every spelling, missing and extra arguments, docker's classics —
 * goes through the front door (src/cli/front-door.ts, no oclif) and through oclif's dispatch
 * (src/cli/oclif/dispatch.ts: oclif's Config, manifest, alias resolution and runCommand). Where
 * the front door runs a command, oclif must run the same command with the same flags and
 * arguments; where it hands over, oclif must answer with help or one of docker's errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setApp, type App } from '../../src/binary/app.ts';
import type { CommandClass } from '../../src/cli/command.ts';
import type { FlagDef } from '../../src/cli/flags.ts';
import { plan } from '../../src/cli/front-door.ts';
import { manifestShapes } from '../../src/cli/manifest-shape.ts';
import { dispatch } from '../../src/cli/oclif/dispatch.ts';
import type { Parsed } from '../../src/cli/parse.ts';
import { routesOf } from '../../src/cli/routes.ts';
import { TsctrError } from '../../src/errors.ts';
import { commandClasses, manifestOf } from '../../scripts/commands.ts';

const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

type Outcome =
  { ran: string; parsed: Parsed } | { error: string; exitCode: number } | { help: string };

let classes: Record<string, CommandClass>;
let app: App;
let dir: string;
let ran: { id: string; parsed: Parsed } | undefined;

beforeAll(async () => {
  classes = await commandClasses();
  dir = mkdtempSync(join(tmpdir(), 'tsctr-parity-'));
  writeFileSync(join(dir, 'oclif.manifest.json'), JSON.stringify(await manifestOf(classes, dir)));
  // Every command records what it was given instead of doing it.
  for (const cmd of Object.values(classes)) {
    cmd.prototype.run = async function (this: { id: string; parse(c: unknown): Parsed }) {
      ran = { id: this.id, parsed: this.parse(cmd) };
    };
  }
  app = {
    dir,
    nativeDir: dir,
    ensure: () => dir,
    routes: routesOf(classes),
    shape: (id) => shapes(id),
    load: async (invoked, canonical) => {
      const cmd = classes[canonical]!;
      cmd.id = invoked;
      return cmd;
    },
  };
  const shapes = manifestShapes(dir);
  setApp(app);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function viaFrontDoor(argv: string[]): Promise<Outcome | 'handed over'> {
  const p = await plan(argv, app);
  if (p.kind === 'oclif') return 'handed over';
  if (p.kind === 'version') throw new Error('no --version in the corpus');
  return { ran: p.cmd.id, parsed: p.parsed };
}

async function viaOclif(argv: string[]): Promise<Outcome> {
  ran = undefined;
  let out = '';
  // Help is printed with blocking writes to fd 1 (src/cli/output.ts).
  const write = fs.writeSync;
  fs.writeSync = ((fd: number, data: string | Uint8Array, ...rest: never[]) => {
    if (fd !== 1) return write(fd, data as string, ...rest);
    out += Buffer.from(data).toString();
    return Buffer.byteLength(data);
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  try {
    await dispatch(argv, app);
  } catch (err) {
    if (!(err instanceof TsctrError)) throw err;
    return { error: err.message + (err.hint ? `\n${err.hint}` : ''), exitCode: err.exitCode };
  } finally {
    fs.writeSync = write;
    syncBuiltinESMExports();
  }
  const got = ran as { id: string; parsed: Parsed } | undefined;
  if (got) return { ran: got.id, parsed: got.parsed };
  return { help: out };
}

/** Every name of every command (`ps`, `container ls`, …) as words. */
function names(): [string[], CommandClass][] {
  return Object.entries(app.routes).map(([name, id]) => [name.split(':'), classes[id]!]);
}

function flagSpellings(name: string, f: FlagDef): string[][] {
  const c = f.char ? `-${f.char}` : undefined;
  if (f.type === 'boolean') {
    return [
      [`--${name}`],
      [`--${name}=false`],
      [`--${name}=true`],
      [`--${name}=maybe`],
      ...(c ? [[c], [`${c}=false`]] : []),
    ];
  }
  return [
    [`--${name}`, 'v1'],
    [`--${name}=v2`],
    [`--${name}`, 'v3', `--${name}`, 'v4'],
    [`--${name}`, '--rm'],
    [`--${name}`],
    ...(c ? [[c, 'v5'], [`${c}v6`], [`${c}=v7`], [c]] : []),
  ];
}

function argsFor(cmd: CommandClass): string[][] {
  const n = Object.keys(cmd.args).length;
  const required = Object.values(cmd.args).filter((a) => a.required).length;
  const sets = [[], ['a1'], ['a1', 'a2'], ['a1', 'a2', 'a3']].filter((s) => s.length <= n + 2);
  return sets.length ? sets : [Array.from({ length: required }, (_, i) => `a${i}`)];
}

function corpus(): string[][] {
  const lines: string[][] = [];
  for (const [words, cmd] of names()) {
    for (const args of argsFor(cmd)) {
      lines.push([...words, ...args]);
      lines.push([...words, '--nope', ...args]);
      lines.push([...words, '-Z', ...args]);
      lines.push([...words, ...args, '--help']);
      lines.push([...words, '--', ...args]);
    }
    const minimal = Object.values(cmd.args)
      .filter((a) => a.required)
      .map((_, i) => `x${i}`);
    for (const [name, f] of Object.entries(cmd.flags)) {
      for (const spelling of flagSpellings(name, f)) {
        lines.push([...words, ...spelling, ...minimal]);
        lines.push([...words, ...minimal, ...spelling]);
      }
    }
  }
  return lines;
}

// docker's classics, and what each must become.
const classics: [string[], Outcome][] = [
  [
    ['exec', '-it', '-u', '1000', 'web', 'sh', '-c', 'id -u'],
    {
      ran: 'exec',
      parsed: {
        flags: {
          detach: false,
          env: [],
          interactive: true,
          privileged: false,
          tty: true,
          user: '1000',
          workdir: undefined,
        },
        args: { container: 'web' },
        argv: ['web', 'sh', '-c', 'id -u'],
      },
    },
  ],
  [
    ['attach', '--detach-keys', 'ctrl-x,x', '--sig-proxy=false', 'web'],
    {
      ran: 'attach',
      parsed: {
        flags: { 'detach-keys': 'ctrl-x,x', 'no-stdin': false, 'sig-proxy': false },
        args: { container: 'web' },
        argv: ['web'],
      },
    },
  ],
  [
    ['volume', 'ls', '-q', '-f', 'dangling=true'],
    {
      ran: 'volume:ls',
      parsed: {
        flags: { filter: ['dangling=true'], format: undefined, quiet: true },
        args: {},
        argv: [],
      },
    },
  ],
  [
    ['network', 'create', '-d', 'bridge', '--subnet=10.89.5.0/24', '-o', 'mtu=1400', 'appnet'],
    {
      ran: 'network:create',
      parsed: {
        flags: {
          attachable: false,
          'aux-address': [],
          'config-from': undefined,
          'config-only': false,
          driver: 'bridge',
          gateway: [],
          ingress: false,
          internal: false,
          'ip-range': [],
          'ipam-driver': undefined,
          'ipam-opt': [],
          ipv4: true,
          ipv6: false,
          label: [],
          opt: ['mtu=1400'],
          scope: undefined,
          subnet: ['10.89.5.0/24'],
        },
        args: { name: 'appnet' },
        argv: ['appnet'],
      },
    },
  ],
  [
    ['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.CPUPerc}}', 'web', 'db'],
    {
      ran: 'stats',
      parsed: {
        flags: {
          all: true,
          format: '{{.Name}} {{.CPUPerc}}',
          'no-stream': true,
          'no-trunc': false,
        },
        args: { container: 'web' },
        argv: ['web', 'db'],
      },
    },
  ],
  [
    ['container', 'update', '-m', '256m', '--cpus=1.5', '--pids-limit', '200', 'web'],
    {
      ran: 'container:update',
      parsed: {
        flags: {
          memory: '256m',
          'memory-reservation': undefined,
          'memory-swap': undefined,
          cpus: '1.5',
          'cpu-shares': undefined,
          'cpu-period': undefined,
          'cpu-quota': undefined,
          'cpuset-cpus': undefined,
          'cpuset-mems': undefined,
          'pids-limit': '200',
          'blkio-weight': undefined,
        },
        args: { container: 'web' },
        argv: ['web'],
      },
    },
  ],
  [
    ['network', 'ls', '-q', '--no-trunc', '-f', 'type=custom'],
    {
      ran: 'network:ls',
      parsed: {
        flags: { filter: ['type=custom'], format: undefined, 'no-trunc': true, quiet: true },
        args: {},
        argv: [],
      },
    },
  ],
  [
    ['run', '-it', '--rm', '-eA=b', '-e', 'C', 'img', 'sh', '-c', 'echo $A'],
    {
      ran: 'run',
      parsed: {
        flags: {
          'add-host': [],
          'cap-add': [],
          'cap-drop': [],
          detach: false,
          'detach-keys': undefined,
          entrypoint: undefined,
          env: ['A=b', 'C'],
          'env-file': [],
          'group-add': [],
          hostname: undefined,
          init: false,
          interactive: true,
          label: [],
          'log-driver': undefined,
          'log-opt': [],
          mount: [],
          name: undefined,
          network: undefined,
          'network-alias': [],
          link: [],
          'device-read-bps': [],
          'device-write-bps': [],
          'device-read-iops': [],
          'device-write-iops': [],
          'oom-kill-disable': false,
          'ignore-limits': false,
          privileged: false,
          publish: [],
          'publish-all': false,
          expose: [],
          dns: [],
          'dns-option': [],
          'dns-search': [],
          'read-only': false,
          rm: true,
          'security-opt': [],
          'sig-proxy': true,
          tmpfs: [],
          tty: true,
          ulimit: [],
          user: undefined,
          volume: [],
          'volumes-from': [],
          workdir: undefined,
        },
        args: { image: 'img' },
        argv: ['img', 'sh', '-c', 'echo $A'],
      },
    },
  ],
  [
    ['container', 'run', '--name', '--rm', 'img', 'ls', '--help'],
    expect.objectContaining({
      ran: 'container:run',
      parsed: expect.objectContaining({ argv: ['img', 'ls', '--help'] }),
    }) as Outcome,
  ],
  [
    ['run', '-Q80', 'img'],
    { error: "unknown shorthand flag: 'Q' in -Q80\nSee 'tsctr run --help'.", exitCode: 125 },
  ],
  [
    ['run', '-d', '-p80:80', '-p', '127.0.0.1:8443:443/tcp', 'img'],
    expect.objectContaining({
      ran: 'run',
      parsed: expect.objectContaining({
        flags: expect.objectContaining({
          detach: true,
          publish: ['80:80', '127.0.0.1:8443:443/tcp'],
        }),
      }),
    }) as Outcome,
  ],
  [
    ['run', '--rm=maybe', 'img'],
    {
      error:
        'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax\nSee \'tsctr run --help\'.',
      exitCode: 125,
    },
  ],
  [
    ['pull'],
    {
      error: '"tsctr pull" requires exactly 1 argument.\nSee \'tsctr pull --help\'.',
      exitCode: 125,
    },
  ],
  [
    ['version', 'x'],
    {
      error: '"tsctr version" accepts no arguments.\nSee \'tsctr version --help\'.',
      exitCode: 125,
    },
  ],
  [
    ['tag', 'a'],
    {
      error: '"tsctr tag" requires exactly 2 arguments.\nSee \'tsctr tag --help\'.',
      exitCode: 125,
    },
  ],
  [
    ['rmi'],
    {
      error: '"tsctr rmi" requires at least 1 argument.\nSee \'tsctr rmi --help\'.',
      exitCode: 125,
    },
  ],
  [['--root', '/r', 'image', 'ls', '-q'], expect.objectContaining({ ran: 'image:ls' }) as Outcome],
  [['--root'], { error: "flag needs an argument: --root\nSee 'tsctr --help'.", exitCode: 125 }],
  [['--frob', 'ps'], { error: "unknown flag: --frob\nSee 'tsctr --help'.", exitCode: 125 }],
  [
    ['imagess'],
    {
      error:
        "unknown command: tsctr imagess\nDid you mean 'tsctr images'? Run 'tsctr --help' for more information.",
      exitCode: 1,
    },
  ],
  [
    ['image', 'lss'],
    {
      error:
        "unknown command: tsctr image lss\nDid you mean 'tsctr image ls'? Run 'tsctr image --help' for more information.",
      exitCode: 1,
    },
  ],
  [
    ['frobnicate'],
    {
      error: "unknown command: tsctr frobnicate\nRun 'tsctr --help' for more information.",
      exitCode: 1,
    },
  ],
];

describe('front door and oclif', () => {
  it('agree on docker’s classic command lines', async () => {
    for (const [argv, want] of classics) {
      const front = await viaFrontDoor(argv);
      const oclif = await viaOclif(argv);
      expect(oclif, argv.join(' ')).toEqual(want);
      if (front !== 'handed over') expect(front, argv.join(' ')).toEqual(oclif);
      else expect('ran' in oclif, argv.join(' ')).toBe(false);
    }
  });

  it('agree on every command, name, flag spelling and argument count', async () => {
    const lines = corpus();
    expect(lines.length).toBeGreaterThan(1000);
    const tally = { ran: 0, help: 0, error: 0 };
    for (const argv of lines) {
      const front = await viaFrontDoor(argv);
      const oclif = await viaOclif(argv);
      const what = argv.join(' ');
      if (front === 'handed over') {
        // Handed over: help or a usage error in docker's words, never a run.
        expect('ran' in oclif, what).toBe(false);
        if ('error' in oclif) {
          expect(oclif.exitCode, what).toBe(125);
          expect(oclif.error, what).toMatch(
            /^(unknown (shorthand )?flag: |flag needs an argument: |invalid argument "|"tsctr [a-z ]+" (requires|accepts) )/,
          );
          tally.error++;
        } else {
          expect(oclif, what).toHaveProperty('help');
          expect((oclif as { help: string }).help, what).toMatch(/^\S.*\n\nUSAGE\n {2}\$ tsctr /);
          tally.help++;
        }
      } else {
        expect(oclif, what).toEqual(front);
        tally.ran++;
      }
    }
    // The corpus exercises all three outcomes in quantity.
    expect(tally.ran).toBeGreaterThan(300);
    expect(tally.help).toBeGreaterThan(50);
    expect(tally.error).toBeGreaterThan(300);
  });
});
