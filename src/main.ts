/**
 * Entry point: global options, the command table, one `Error: …` for any failure, docker's exit
 * codes. Kept free of heavy imports: `tsctr --version` loads nothing else, and each command's
 * module is imported only when that command runs.
 */
import module from 'node:module';
import { describeError, ExitCode, TsctrError } from './errors.ts';
import { writeErr, writeOut } from './cli/output.ts';

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
    writeOut(`tsctr version ${VERSION}\n`);
    return 0;
  }
  const { commands, aliases } = await import('./cli/table.ts');
  if (g.help || g.rest.length === 0) {
    const { mainHelp } = await import('./cli/help.ts');
    writeOut(mainHelp());
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
  const { wantsHelp } = await import('./cli/flags.ts');
  if (wantsHelp(args, Cmd.flags, Cmd.stopAtFirstArg)) {
    const { commandHelp } = await import('./cli/help.ts');
    writeOut(commandHelp(id, Cmd));
    return 0;
  }
  await new Cmd(id, args).run();
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

// V8's code cache, one per user: the default directory under /tmp belongs to whoever made it
// first. Built from the environment alone, without loading node:os or node:path.
const cacheHome = process.env.XDG_CACHE_HOME || (process.env.HOME && `${process.env.HOME}/.cache`);
module.enableCompileCache?.(cacheHome ? `${cacheHome}/tsctr/compile-cache` : undefined);
let settled = false;
// Node exits, with status 0, once nothing is left to wait for, even while `main` still awaits
// a promise that can no longer settle. Such a bug must not pass for success.
process.on('exit', () => {
  if (settled) return;
  writeErr('Error: tsctr stopped before the command finished (an internal error)\n');
  process.exitCode = ExitCode.Failed;
});
main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    const { text, exitCode } = describeError(err);
    writeErr(`${text}\n`);
    process.exitCode = exitCode;
  },
);
