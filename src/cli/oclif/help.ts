/**
 * oclif's Help, with a root page laid out as docker's: the common commands first, then the
 * management commands (oclif's topics), then every other top-level name, then the global
 * options. Topic and command pages are oclif's own.
 */
import { Help, type Command, type Config, type Interfaces } from '@oclif/core';

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

/** The options src/cli/global-options.ts reads before the command (help, shell completion). */
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

export class TsctrHelp extends Help {
  constructor(config: Config, opts: Partial<Interfaces.HelpOptions> = {}) {
    super(config, { hideAliasesFromRoot: false, ...opts });
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
