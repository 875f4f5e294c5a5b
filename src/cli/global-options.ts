/**
 * docker's global options, given before the command: `--root`/`--runroot` (podman's names for
 * where state lives), `-v/--version`, `-h/--help`. Read the same way by the front door
 * (src/cli/front-door.ts) and by oclif's dispatch (src/cli/oclif/dispatch.ts).
 */
import { TsctrError } from '../errors.ts';

/** The global options, for takeGlobal, the root help page and shell completion. */
export const GLOBAL_OPTIONS: { long: string; short?: string; value?: string; text: string }[] = [
  {
    long: 'root',
    value: 'string',
    text: 'Storage root (default $XDG_DATA_HOME/tsctr, or TSCTR_ROOT)',
  },
  {
    long: 'runroot',
    value: 'string',
    text: 'Runtime state root (default $XDG_RUNTIME_DIR/tsctr, or TSCTR_RUNROOT)',
  },
  { long: 'version', short: 'v', text: 'Print version information and quit' },
  { long: 'help', short: 'h', text: 'Print usage' },
];

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
    const option = GLOBAL_OPTIONS.find((o) => `--${o.long}` === name || `-${o.short}` === name);
    if (option?.value) {
      const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
      if (value === undefined) {
        throw new TsctrError(`flag needs an argument: ${name}`, { hint: "See 'tsctr --help'." });
      }
      g[option.long as 'root' | 'runroot'] = value;
    } else if (option && eq < 0) g[option.long as 'version' | 'help'] = true;
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
