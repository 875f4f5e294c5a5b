/**
 * The base of every tsctr command, written to oclif's command contract: the static metadata
 * oclif reads into its manifest, help and completion (`summary`, `description`, `examples`,
 * `usage`, `flags`, `args`, `aliases`, `strict`, `hidden`) and a static `run(argv, config)`
 * that oclif's Config.runCommand calls. Without extending @oclif/core's Command class: loading
 * that class loads all of oclif (~60 ms), and the front door (src/main.ts) runs commands
 * without it. Argv is parsed by src/cli/parse.ts with docker's rules on both paths.
 *
 * A command parses (`this.parse(Cls)`), makes one domain call and prints its result. It never
 * prints errors: it throws, and src/main.ts prints once.
 */
import { describeError } from '../errors.ts';
import { statePaths, type StatePaths } from '../config/paths.ts';
import type { ArgCompletion, ArgDefs, FlagDefs } from './flags.ts';
import { writeErr, writeOut } from './output.ts';
import { parseArgv, type Parsed } from './parse.ts';

export interface CommandClass {
  new (id: string, argv: string[], parsed: Parsed): TsctrCommand;
  id: string;
  summary: string;
  description?: string | undefined;
  examples: string[];
  usage: string;
  aliases: string[];
  flags: FlagDefs;
  args: ArgDefs;
  strict: boolean;
  interspersed: boolean;
  hidden: boolean;
  completion: ArgCompletion[] | undefined;
  run(argv?: string[], config?: unknown): Promise<void>;
  runParsed(argv: string[], parsed: Parsed): Promise<void>;
}

export abstract class TsctrCommand {
  /** oclif's command id, `image:ls`: set from the file's place under src/commands/. */
  static id = '';
  static summary = '';
  static description: string | undefined;
  /** Lines in oclif's form: `<%= config.bin %> <%= command.id %> ...`, one example each. */
  static examples: string[] = [];
  /** docker's usage after the command's name, e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  static usage = '[OPTIONS]';
  /** docker's other spellings, as oclif ids: `ps`, `container:list`. */
  static aliases: string[] = [];
  static flags: FlagDefs = {};
  static args: ArgDefs = {};
  /** false: positional arguments beyond `args` are allowed (returned in argv). */
  static strict = true;
  /** docker's SetInterspersed(false): options stop at the first positional (`run IMAGE ...`). */
  static interspersed = true;
  static hidden = false;
  /**
   * What the positional arguments name, for shell completion (src/cli/complete.ts): one entry
   * per position, the last one repeating when the command is not strict (so run, whose IMAGE is
   * followed by a command line, ends in null); undefined when they name nothing.
   */
  static completion: ArgCompletion[] | undefined;

  /** oclif's entry: parse with docker's rules, then run. */
  static async run(this: CommandClass, argv: string[] = []): Promise<void> {
    await this.runParsed(argv, parseArgv(this.id, argv, this));
  }

  /** The front door's entry, once it has parsed argv itself. */
  static async runParsed(this: CommandClass, argv: string[], parsed: Parsed): Promise<void> {
    await new this(this.id, argv, parsed).run();
  }

  readonly id: string;
  readonly argv: string[];
  readonly #parsed: Parsed;

  constructor(id: string, argv: string[], parsed: Parsed) {
    this.id = id;
    this.argv = argv;
    this.#parsed = parsed;
  }

  abstract run(): Promise<void>;

  /** The parsed command line, typed by the command's own flag and argument tables. */
  protected parse<C extends { flags: FlagDefs; args: ArgDefs }>(
    _cmd: C,
  ): Parsed<C['flags'], C['args']> {
    return this.#parsed as Parsed<C['flags'], C['args']>;
  }

  protected get paths(): StatePaths {
    return statePaths();
  }

  protected out(text: string): void {
    if (text) writeOut(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Exactly `text`, no newline added: a terminal's redraw sequences. */
  protected write(text: string): void {
    writeOut(text);
  }

  protected err(text: string): void {
    writeErr(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * A batch verb's outcome as docker reports it (`rm a b c`): each name that succeeded as it was
   * given, on stdout; then each failure's error, on stderr; exit status 1 if any failed.
   */
  protected reportBatch(outcomes: readonly { input: string; error?: unknown }[]): void {
    this.out(
      outcomes
        .filter((o) => !o.error)
        .map((o) => o.input)
        .join('\n'),
    );
    const failed = outcomes.filter((o) => o.error);
    for (const o of failed) this.err(describeError(o.error).text);
    if (failed.length) process.exitCode = 1;
  }
}
