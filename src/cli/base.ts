/**
 * The base of every tsctr command: static flag/argument definitions (src/cli/flags.ts) and a
 * `run` that parses them and makes one domain call. Commands never print errors: they throw,
 * and src/main.ts prints once.
 */
import { statePaths, type StatePaths } from '../config/paths.ts';
import { writeErr, writeOut } from './output.ts';
import { parseArgv, type ArgDefs, type FlagDefs, type Parsed } from './flags.ts';

export interface CommandClass {
  new (id: string, argv: string[]): TsctrCommand;
  summary: string;
  usageLine: string;
  flags: FlagDefs;
  args: ArgDefs;
  stopAtFirstArg: boolean;
  variadic: boolean;
}

export abstract class TsctrCommand {
  static summary = '';
  /** One-line usage as docker prints it, e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  static usageLine = '[OPTIONS]';
  static flags: FlagDefs = {};
  static args: ArgDefs = {};
  /** docker's argument order: options stop at the first positional (IMAGE), the rest is its. */
  static stopAtFirstArg = false;
  /** Positional arguments beyond the declared ones are allowed. */
  static variadic = false;

  readonly id: string;
  readonly argv: string[];

  constructor(id: string, argv: string[]) {
    this.id = id;
    this.argv = argv;
  }

  abstract run(): Promise<void>;

  protected parse<F extends FlagDefs, A extends ArgDefs>(shape: {
    flags: F;
    args: A;
    stopAtFirstArg: boolean;
    variadic: boolean;
  }): Parsed<F, A> {
    return parseArgv(this.id, this.argv, shape);
  }

  protected get paths(): StatePaths {
    return statePaths();
  }

  protected out(text: string): void {
    if (text) writeOut(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected err(text: string): void {
    writeErr(text.endsWith('\n') ? text : `${text}\n`);
  }
}
