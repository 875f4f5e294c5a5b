/**
 * `tsctr autocomplete create`: plugin-autocomplete's bash, zsh and powershell files, then
 * tsctr's additions: in bash and zsh, the names of containers, images, networks and volumes
 * where a command takes them (./bash.ts, ./zsh.ts); and a fish file (./fish.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '@oclif/core';
import PluginCreate from '../../../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/create.js';
import type { CompletionTable } from '../../complete.ts';
import { bashWithNames } from './bash.ts';
import { fishScript } from './fish.ts';
import { zshWithNames } from './zsh.ts';

// Every command's flags as `__complete` reads them, baked in by scripts/build.mjs.
declare const __TSCTR_COMPLETION__: CompletionTable;

// Where plugin-autocomplete keeps its files (its own getters for them are private), and fish's.
const functions = (config: Config) => `${config.cacheDir}/autocomplete/functions`;
const bashFile = (config: Config) => `${functions(config)}/bash/${config.bin}.bash`;
const zshFile = (config: Config) => `${functions(config)}/zsh/_${config.bin}`;
export const fishFile = (config: Config) => `${functions(config)}/fish/${config.bin}.fish`;

export default class Create extends PluginCreate {
  override async run(): Promise<void> {
    await super.run();
    const { bin } = this.config;
    const edit = async (file: string, change: (text: string, bin: string) => string) =>
      writeFile(file, change(await readFile(file, 'utf8'), bin));
    await edit(bashFile(this.config), bashWithNames);
    await edit(zshFile(this.config), zshWithNames);
    const fish = fishFile(this.config);
    await mkdir(dirname(fish), { recursive: true });
    await writeFile(
      fish,
      fishScript({
        bin,
        // Each command once, as the plugin reads them: the config's list repeats every command
        // under each of its aliases.
        commands: this.config.getPluginsList().flatMap((p) => p.commands),
        topics: this.config.topics,
        table: __TSCTR_COMPLETION__,
      }),
    );
  }
}
