/**
 * Flag and argument definitions in oclif's format — the objects `Flags.boolean`, `Flags.string`
 * and `Args.string` of @oclif/core return — built without loading @oclif/core: its own builders
 * sit in a module that loads its help renderer (~20 ms), and every invocation reads these
 * tables. oclif renders help, the manifest and completion from them; src/cli/parse.ts parses
 * argv with them as docker's CLI does. One definition per command serves both.
 */
import type { Arg, BooleanFlag, OptionFlag } from '@oclif/core/interfaces';
import type { Completion } from '../system/object-names.ts';

/** What a positional argument or a flag's value names, for shell completion. */
export type { Completion };

/**
 * What one positional argument names: one kind, any of several (inspect's NAME|ID is a
 * container or an image), or nothing tsctr knows (run's COMMAND).
 */
export type ArgCompletion = Completion | readonly Completion[] | null;

interface Common {
  char?: BooleanFlag<boolean>['char'];
  aliases?: string[];
  description?: string;
  hidden?: boolean;
  helpValue?: string;
  /** Names to complete for the flag's value (src/cli/complete.ts). */
  completion?: Completion;
}

// `name` is filled in by whoever walks the table (oclif's parser and manifest, ours).
export type BoolFlag = Omit<BooleanFlag<boolean>, 'name'> & { name?: string; default: boolean };
export type StringFlag = Omit<OptionFlag<string | undefined>, 'name'> & {
  name?: string;
  multiple: false;
  completion?: Completion;
};
export type StringsFlag = Omit<OptionFlag<string[]>, 'name'> & {
  name?: string;
  multiple: true;
  completion?: Completion;
};
export type FlagDef = BoolFlag | StringFlag | StringsFlag;
export type FlagDefs = Record<string, FlagDef>;

export type ArgDef = Omit<Arg<string | undefined>, 'name'> & { name?: string };
export type ArgDefs = Record<string, ArgDef>;

const same = <T>(value: T): Promise<T> => Promise.resolve(value);

export const Flags = {
  /** pflag's BoolVar: `--x`, `--x=false`; docker's bools are never `--no-x`. */
  boolean: (o: Omit<Common, 'helpValue'> & { default?: boolean } = {}): BoolFlag => ({
    ...o,
    type: 'boolean',
    allowNo: false,
    default: o.default ?? false,
    parse: same,
  }),
  /** pflag's StringVar: one value, the last one given wins. */
  string: (o: Common = {}): StringFlag => ({
    ...o,
    type: 'option',
    multiple: false,
    input: [],
    parse: same,
  }),
  /** pflag's StringArray (`-e A -e B`): each occurrence takes exactly one value. */
  strings: (o: Common = {}): StringsFlag => ({
    ...o,
    type: 'option',
    multiple: true,
    // oclif's own parser would otherwise let a repeated flag swallow the positionals after it.
    multipleNonGreedy: true,
    helpValue: o.helpValue ?? 'list',
    input: [],
    parse: same,
  }),
};

export const Args = {
  string: (o: { description?: string; required?: boolean } = {}): ArgDef => ({
    description: o.description,
    required: o.required ?? false,
    input: [],
    parse: same,
  }),
};
