/**
 * docker-style argument handling that oclif's parser does not do itself: combined short
 * options (`-it`, `-eKEY=v`), and for `run` the rule that options end at the first positional
 * argument, so `run busybox sh -c 'id'` hands `-c` to sh.
 */
export interface FlagShape {
  char?: string;
  type: 'boolean' | 'option';
  aliases?: string[];
}

export function normaliseArgv(
  argv: string[],
  flags: Record<string, FlagShape>,
  stopAtFirstArg: boolean,
): string[] {
  const byChar = new Map<string, FlagShape>();
  const byName = new Map<string, FlagShape>();
  for (const [name, f] of Object.entries(flags)) {
    byName.set(name, f);
    for (const a of f.aliases ?? []) byName.set(a, f);
    if (f.char) byChar.set(f.char, f);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      return out;
    }
    if (a.startsWith('--')) {
      out.push(a);
      const f = byName.get(a.slice(2));
      if (f?.type === 'option' && !a.includes('=') && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // -it → -i -t ; -eA=b → -e A=b ; -e A=b stays.
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const f = byChar.get(c);
        out.push(`-${c}`);
        if (f?.type === 'option') {
          const rest = a.slice(j + 1);
          if (rest) out.push(rest);
          else if (i + 1 < argv.length) out.push(argv[++i]!);
          break;
        }
        if (!f) {
          // Unknown: leave the remainder to the parser, which reports it.
          if (j + 1 < a.length) out[out.length - 1] = a;
          break;
        }
      }
      continue;
    }
    if (stopAtFirstArg) {
      out.push('--', ...argv.slice(i));
      return out;
    }
    out.push(a);
  }
  return out;
}

/** True when `--help` (or `-h` where the command has no -h option) asks for help. */
export function wantsHelp(
  argv: string[],
  flags: Record<string, FlagShape>,
  stopAtFirstArg: boolean,
): boolean {
  const hasH = Object.values(flags).some((f) => f.char === 'h');
  for (const a of normaliseArgv(argv, flags, stopAtFirstArg)) {
    if (a === '--') return false;
    if (a === '--help' || (a === '-h' && !hasH)) return true;
  }
  return false;
}
