/**
 * tsctr's bash completion: plugin-autocomplete's function (`_<bin>_autocomplete`, commands and
 * flags) behind one that first asks `<bin> __complete` (src/commands/__complete.ts) whether a
 * name goes under the cursor, as docker's bash completion asks `docker __complete`.
 */

/** plugin-autocomplete's bash file, its `complete` line replaced by the names-first one. */
export function bashWithNames(plugin: string, bin: string): string {
  const register = `complete -F _${bin}_autocomplete ${bin}`;
  if (!plugin.includes(register)) {
    throw new Error(`plugin-autocomplete's bash file has no '${register}' line to replace`);
  }
  return plugin.replace(register, bashNames(bin));
}

// A template literal: bash's own "${" are written "\${".
const bashNames = (
  bin: string,
) => `# The words up to the cursor in "words", "cword" and "cur", each as it was typed: bash also
# splits the line at every COMP_WORDBREAKS character, so an image name such as busybox:1.36
# arrives as three words. bash-completion's function joins them back; without it, the pieces
# that nothing separates on the line are joined here.
__${bin}_words()
{
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n =: cur words cword
    return
  fi
  local line=\${COMP_LINE:0:COMP_POINT} i w joined
  words=()
  for ((i = 0; i <= COMP_CWORD; i++)); do
    joined=1
    [[ $i == 0 || $line == [[:space:]]* ]] && joined=0
    line=\${line#"\${line%%[![:space:]]*}"}
    w=\${COMP_WORDS[i]}
    ((i == COMP_CWORD)) && w=$line
    if ((joined)); then words[-1]+=$w; else words+=("$w"); fi
    line=\${line:\${#w}}
  done
  cword=$((\${#words[@]} - 1))
  cur=\${words[cword]}
}

# Readline replaces only what follows the last COMP_WORDBREAKS character of the word under the
# cursor (the "1.36" of "busybox:1.36", the "none" of "--network=none"): each candidate loses
# what precedes it.
__${bin}_ltrim()
{
  local k c
  for ((k = \${#cur} - 1; k >= 0; k--)); do
    c=\${cur:k:1}
    if [[ $COMP_WORDBREAKS == *"$c"* ]]; then
      COMPREPLY=("\${COMPREPLY[@]#"\${cur:0:k+1}"}")
      return
    fi
  done
}

# "${bin} __complete" reads the line as ${bin} does. Where a container, image, network or volume
# name goes, it prints the names (exit 0) and nothing else completes there, not even files;
# anywhere else it exits 1, and the commands and flags above complete, or files (-o default).
_${bin}_complete()
{
  local cur words cword out
  __${bin}_words
  if out=$("\${words[0]/#\\~/$HOME}" __complete -- "\${words[@]:1:cword-1}" "$cur" 2>/dev/null); then
    compopt +o default 2>/dev/null
    COMPREPLY=()
    [[ -n $out ]] && mapfile -t COMPREPLY <<<"$out"
    __${bin}_ltrim
    return 0
  fi
  _${bin}_autocomplete
}

complete -o default -F _${bin}_complete ${bin}`;
