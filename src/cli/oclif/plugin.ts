/**
 * tsctr as oclif's root plugin, built in code rather than found on disk: the single binary has
 * no package.json or node_modules beside it for oclif to walk up to, and every command lives in
 * a bundle of its own that only tsctr knows how to load. oclif reads the command list, topics,
 * flags and aliases from dist/oclif.manifest.json (written by the build from the same classes)
 * and asks this plugin for a command's class only when it runs one.
 */
import { Config, Plugin, type Command, type Interfaces } from '@oclif/core';
import pkg from '../../../package.json' with { type: 'json' };

export type ClassLoader = (id: string) => Promise<Command.Class | undefined>;

export const pjson = pkg as unknown as Interfaces.PJSON;

export class TsctrPlugin extends Plugin {
  readonly #load: ClassLoader;

  /**
   * `classes`: every command class by id, when the manifest is to be built from them (the
   * build); without it the manifest is read from `root`.
   */
  constructor(root: string, load: ClassLoader, classes?: Record<string, Command.Class>) {
    super({ isRoot: true, root, pjson, ignoreManifest: classes !== undefined });
    this.#load = load;
    // oclif's explicit command discovery reads its table from here before loading a target file.
    if (classes) (this as unknown as { commandCache: typeof classes }).commandCache = classes;
  }

  override async findCommand(id: string, opts?: { must: boolean }): Promise<Command.Class> {
    const cmd = await this.#load(id);
    if (!cmd) {
      if (opts?.must) throw new Error(`command ${id} not found`);
      return undefined as unknown as Command.Class;
    }
    cmd.id = id;
    cmd.plugin = this;
    return cmd;
  }
}

/** oclif's Config over the code-built root plugin. */
export async function loadConfig(root: string, load: ClassLoader): Promise<Config> {
  const plugin = new TsctrPlugin(root, load);
  await plugin.load();
  return Config.load({ root, pjson, plugins: new Map([[plugin.name, plugin]]) });
}
