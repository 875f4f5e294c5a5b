/**
 * The base of every tsctr command: an oclif Command whose `run` parses flags and makes one
 * domain call. Commands never print errors themselves: they throw, and src/main.ts prints once.
 */
import { Command } from '@oclif/core';
import { statePaths, type StatePaths } from '../config/paths.ts';

export abstract class TsctrCommand extends Command {
  /** docker's argument order: options stop at the first positional (IMAGE), the rest is its. */
  static stopAtFirstArg = false;
  /** One-line usage as docker prints it, e.g. "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  static usageLine = '[OPTIONS]';

  protected get paths(): StatePaths {
    return statePaths();
  }

  protected out(text: string): void {
    if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected err(text: string): void {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
