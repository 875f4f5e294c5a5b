/**
 * Entry point: global options, the command table, one `Error: …` for any failure, docker's exit
 * codes. Kept free of heavy imports: `tsctr --version` loads nothing else, and each command's
 * module (with oclif) is imported only when that command runs.
 */
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError, TsctrError } from './errors.ts';

import { VERSION } from './version.ts';

function takeGlobal(argv: string[]): { rest: string[]; version: boolean; help: boolean } {
  let i = 0;
  let version = false;
  let help = false;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const a = argv[i]!;
    const [name, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    if (name === '--root' || name === '--runroot') {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new TsctrError(`flag needs an argument: ${name}`);
      process.env[name === '--root' ? 'TSCTR_ROOT' : 'TSCTR_RUNROOT'] = value;
    } else if (a === '-v' || a === '--version') version = true;
    else if (a === '-h' || a === '--help') help = true;
    else throw new TsctrError(`unknown flag: ${a}`, { hint: "See 'tsctr --help'." });
    i++;
  }
  return { rest: argv.slice(i), version, help };
}

async function main(argv: string[]): Promise<number> {
  const g = takeGlobal(argv);
  if (g.version) {
    process.stdout.write(`tsctr version ${VERSION}\n`);
    return 0;
  }
  const { commands, aliases } = await import('./cli/table.ts');
  if (g.help || g.rest.length === 0) {
    const { mainHelp } = await import('./cli/help.ts');
    process.stdout.write(mainHelp());
    return 0;
  }
  const two = `${g.rest[0]} ${g.rest[1] ?? ''}`;
  const id = aliases[two] ?? g.rest[0]!;
  const args = aliases[two] ? g.rest.slice(2) : g.rest.slice(1);
  const entry = commands[id];
  if (!entry) {
    throw new TsctrError(`unknown command "${g.rest[0]}" for "tsctr"`, {
      hint: "Run 'tsctr --help' for usage.",
    });
  }
  const Cmd = (await entry.load()).default;
  const { normaliseArgv, wantsHelp } = await import('./cli/argv.ts');
  const flags = (Cmd.flags ?? {}) as never;
  if (wantsHelp(args, flags, Cmd.stopAtFirstArg)) {
    const { commandHelp } = await import('./cli/help.ts');
    process.stdout.write(commandHelp(id, Cmd));
    return 0;
  }
  Cmd.id = id;
  const config = {
    bin: 'tsctr',
    userAgent: `tsctr/${VERSION}`,
    runHook: async () => ({ successes: [], failures: [] }),
    scopedEnvVar: () => undefined,
    scopedEnvVarKey: (k: string) => `TSCTR_${k}`,
    scopedEnvVarKeys: (k: string) => [`TSCTR_${k}`],
  };
  const cmd = new (Cmd as unknown as new (a: string[], c: unknown) => { _run(): Promise<unknown> })(
    normaliseArgv(args, flags, Cmd.stopAtFirstArg),
    config,
  );
  try {
    await cmd._run();
  } catch (err) {
    throw fromParseError(err, id);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

/** oclif's parser errors become docker-worded usage errors (exit 125). */
function fromParseError(err: unknown, id: string): unknown {
  if (err instanceof TsctrError) return err;
  const e = err as { oclif?: unknown; message?: string; name?: string };
  if (
    e?.oclif !== undefined ||
    (/Error$/.test(e?.name ?? '') && /flag|argument/i.test(e?.message ?? ''))
  ) {
    const first = (e.message ?? '')
      .split('\n')[0]!
      .replace(/^Nonexistent flag: /, 'unknown flag: ');
    return new TsctrError(first, { hint: `See 'tsctr ${id} --help'.` });
  }
  return err;
}

// Each user needs a cache directory of their own: the default under /tmp belongs to whoever
// created it first.
module.enableCompileCache?.(
  join(
    process.env.XDG_CACHE_HOME || join(process.env.HOME || tmpdir(), '.cache'),
    'tsctr',
    'compile-cache',
  ),
);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const { text, exitCode } = describeError(err);
    process.stderr.write(`${text}\n`);
    process.exitCode = exitCode;
  },
);
