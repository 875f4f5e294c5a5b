/**
 * oclif's Help, with a root page laid out as docker's: the common commands first, then the
 * management commands (oclif's topics), then every other top-level name, then the global
 * options. Topic and command pages are oclif's own.
 */
import type { Command, Config, Interfaces } from '@oclif/core';
// From its own module: @oclif/core's index loads every part of oclif (~10 ms more).
import { CommandHelp, Help } from '@oclif/core/help';
import { settings } from '@oclif/core/settings';
import { GLOBAL_OPTIONS } from '../global-options.ts';
import { isatty } from '../terminal.ts';
import { writeOut } from '../output.ts';

// docker's "Common Commands", in its order, where tsctr has them.
const COMMON = [
  'run',
  'exec',
  'ps',
  'build',
  'pull',
  'push',
  'images',
  'login',
  'logout',
  'search',
  'version',
  'info',
];

/**
 * oclif renders help texts as EJS templates; tsctr's use only `<%= config.bin %>` and
 * `<%= command.id %>`, so property paths are substituted directly (EJS compiles each text:
 * ~4 ms of every help page).
 */
function substitute(context: object): (text: string) => string {
  return (text) =>
    text.replace(/<%=\s*([\w.]+)\s*%>/g, (_, path: string) =>
      String(
        path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], context) ??
          '',
      ),
    );
}

class TsctrCommandHelp extends CommandHelp {
  constructor(command: Command.Loadable, config: Config, opts: Interfaces.HelpOptions) {
    super(command, config, opts);
    this.render = substitute(this);
  }
}

/**
 * oclif measures the terminal through process.stdout, whose creation loads the streams stack;
 * written to a pipe or file it would measure nothing anyway and use 80 columns.
 */
function widthWithoutStream(): void {
  if (settings.columns === undefined && !isatty(1)) settings.columns = 80;
}

export class TsctrHelp extends Help {
  constructor(config: Config, opts: Partial<Interfaces.HelpOptions> = {}) {
    widthWithoutStream();
    super(config, { hideAliasesFromRoot: false, ...opts });
    this.render = substitute(this);
    this.CommandHelpClass = TsctrCommandHelp;
  }

  /** Through a blocking write, as every tsctr output: console.log builds a stream (~2 ms). */
  protected override log(...args: string[]): void {
    writeOut(`${args.join(' ')}\n`);
  }

  /** A topic lists each command once, under its own name, not under each alias. */
  protected override get sortedCommands(): Command.Loadable[] {
    const aliases = new Set(
      this.config.commands.flatMap((c) => (c.id.includes(':') ? c.aliases : [])),
    );
    return super.sortedCommands.filter((c) => !aliases.has(c.id) || !c.id.includes(':'));
  }

  /** As docker's: every name of the command under ALIASES, whichever one was asked for. */
  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    const owner = this.config.commands.find((c) => c.aliases?.includes(command.id));
    const canonical = owner?.id ?? command.id;
    const names = [canonical, ...(owner?.aliases ?? command.aliases ?? [])];
    return super.showCommandHelp({ ...command, aliases: names.length > 1 ? names : [] });
  }

  protected override async showRootHelp(): Promise<void> {
    const names = new Map<string, string>();
    for (const c of this.config.commands) {
      if (c.hidden || c.id.includes(':')) continue;
      names.set(c.id, this.summary(c) ?? '');
    }
    const topics = this.sortedTopics.filter((t) => !t.name.includes(':'));
    const common = COMMON.filter((n) => names.has(n));
    const others = [...names.keys()].filter((n) => !common.includes(n)).sort();
    const list = (rows: [string, string | undefined][]) =>
      this.renderList(rows, { indentation: 2, stripAnsi: this.opts.stripAnsi });
    this.log(
      [
        this.config.pjson.description ?? '',
        this.section('USAGE', `$ ${this.config.bin} [OPTIONS] COMMAND`),
        this.section('COMMON COMMANDS', list(common.map((n) => [n, names.get(n)]))),
        this.section(
          'MANAGEMENT COMMANDS',
          list(topics.map((t) => [t.name, t.description?.split('\n')[0]])),
        ),
        this.section('COMMANDS', list(others.map((n) => [n, names.get(n)]))),
        this.section(
          'GLOBAL OPTIONS',
          list(
            GLOBAL_OPTIONS.map((o) => [
              `${o.short ? `-${o.short}, ` : ''}--${o.long}${o.value ? ` ${o.value}` : ''}`,
              o.text,
            ]),
          ),
        ),
        `Run '${this.config.bin} COMMAND --help' for more information on a command.`,
      ].join('\n\n') + '\n',
    );
  }
}
