/**
 * Shell completion: @oclif/plugin-autocomplete's commands (`tsctr autocomplete [SHELL]`, and the
 * hidden `autocomplete create` and `autocomplete script` it runs), extended with fish and with
 * the names docker's own completion offers — containers, images, volumes and networks — which
 * the completion files ask `tsctr __complete` for at each TAB (src/commands/__complete.ts).
 */
import type { Command } from '@oclif/core';
import Autocomplete from './autocomplete.ts';
import Create from './create.ts';
import Script from './script.ts';

export const pluginCommands: Record<string, Command.Class> = {
  autocomplete: Autocomplete as unknown as Command.Class,
  'autocomplete:create': Create as unknown as Command.Class,
  'autocomplete:script': Script as unknown as Command.Class,
};
