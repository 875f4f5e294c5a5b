/**
 * tsctr's zsh completion: plugin-autocomplete's `_<bin>` (commands, flags, files), renamed
 * `_<bin>_oclif`, behind a `_<bin>` that first asks `<bin> __complete`
 * (src/commands/__complete.ts) whether a name goes under the cursor. The plugin's argument specs
 * are left alone: they differ by command (`*: :_files`, or nothing for a command without
 * flags), and one question before them covers every command the same way.
 */

export function zshWithNames(plugin: string, bin: string): string {
  const define = `\n_${bin}() {\n`;
  const call = `\n_${bin}\n`;
  if (!plugin.includes(define) || !plugin.endsWith(call)) {
    throw new Error(`plugin-autocomplete's zsh file has no _${bin} function to wrap`);
  }
  return (
    plugin.replace(define, `\n_${bin}_oclif() {\n`).slice(0, -call.length) +
    '\n' +
    zshNames(bin) +
    `\n_${bin} "$@"\n`
  );
}

// A template literal: zsh's own "${" are written "\${".
const zshNames = (bin: string) => `
# "${bin} __complete" reads the line as ${bin} does. Where a container, image, network or volume
# name goes, it prints the names (exit 0) and only they complete there; anywhere else it exits
# 1, and the commands, flags and files above complete.
_${bin}() {
  local out expl
  local -a names
  if out=$(\${~words[1]} __complete -- "\${(@)words[2,CURRENT-1]}" "$PREFIX" 2>/dev/null); then
    names=(\${(f)out})
    _wanted names expl name compadd -a names
    return
  fi
  _${bin}_oclif "$@"
}
`;
