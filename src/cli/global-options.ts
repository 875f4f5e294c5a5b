/**
 * docker's global options, given before the command: `--root`/`--runroot` (podman's names for
 * where state lives), `-v/--version`, `-h/--help`. Read the same way by the front door
 * (src/cli/front-door.ts) and by oclif's dispatch (src/cli/oclif/dispatch.ts).
 */
import { TsctrError } from '../errors.ts';

export interface GlobalOptions {
  rest: string[];
  version: boolean;
  help: boolean;
  root?: string;
  runroot?: string;
}

export function takeGlobal(argv: readonly string[]): GlobalOptions {
  const g: GlobalOptions = { rest: [], version: false, help: false };
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-'; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (name === '--root' || name === '--runroot') {
      const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
      if (value === undefined) {
        throw new TsctrError(`flag needs an argument: ${name}`, { hint: "See 'tsctr --help'." });
      }
      g[name === '--root' ? 'root' : 'runroot'] = value;
    } else if (a === '-v' || a === '--version') g.version = true;
    else if (a === '-h' || a === '--help') g.help = true;
    else if (a === '--') {
      i++;
      break;
    } else {
      const what = a.startsWith('--') ? `flag: ${name}` : `shorthand flag: '${a[1]}' in ${a}`;
      throw new TsctrError(`unknown ${what}`, { hint: "See 'tsctr --help'." });
    }
  }
  g.rest = argv.slice(i);
  return g;
}

/** Makes the global options take effect for the command about to run. */
export function applyGlobal(g: GlobalOptions): void {
  if (g.root !== undefined) process.env.TSCTR_ROOT = g.root;
  if (g.runroot !== undefined) process.env.TSCTR_RUNROOT = g.runroot;
}
