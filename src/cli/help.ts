/**
 * Help in docker's layout (Usage, summary, Options with their short forms), rendered from each
 * command's flag definitions so it cannot drift from what the parser accepts.
 */
import { commands } from './table.ts';
import type { CommandClass } from './base.ts';
import type { FlagDef } from './flags.ts';

export function commandHelp(id: string, cmd: CommandClass): string {
  const flags = Object.entries((cmd.flags ?? {}) as Record<string, FlagDef>).filter(
    ([, f]) => !f.hidden,
  );
  const left = flags.map(([name, f]) => {
    const value =
      f.type === 'option'
        ? ` ${f.helpValue ?? (f.type === 'option' && f.multiple ? 'list' : 'string')}`
        : '';
    return `${f.char ? `-${f.char}, ` : '    '}--${name}${value}`;
  });
  const width = Math.max(0, ...left.map((l) => l.length)) + 3;
  const lines = ['', `Usage:  tsctr ${id} ${cmd.usageLine}`, '', cmd.summary ?? ''];
  if (flags.length) {
    lines.push('', 'Options:');
    flags.forEach(([, f], i) => lines.push(`  ${left[i]!.padEnd(width)}${f.description ?? ''}`));
  }
  return lines.join('\n') + '\n';
}

export function mainHelp(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(...names.map((n) => n.length)) + 3;
  return [
    '',
    'Usage:  tsctr [OPTIONS] COMMAND',
    '',
    'A rootless, daemonless container engine with a docker-compatible CLI',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${commands[n]!.summary}`),
    '',
    'Global Options:',
    '      --root string      Storage root (default $XDG_DATA_HOME/tsctr)',
    '      --runroot string   Runtime state root (default $XDG_RUNTIME_DIR/tsctr)',
    '  -v, --version          Print version information and quit',
    '  -h, --help             Print usage',
    '',
    "Run 'tsctr COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}
