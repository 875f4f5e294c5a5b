/**
 * tsctr as oclif's root plugin, built in code rather than found on disk: the single binary has
 * no package.json or node_modules beside it for oclif to walk up to, and every command lives in
 * a bundle of its own that only tsctr knows how to load. oclif reads the command list, topics,
 * flags and aliases from dist/oclif.manifest.json (written by the build from the same classes)
 * and asks this plugin for a command's class only when it runs one.
 */
import type { Command, Interfaces } from '@oclif/core';
// From its own module: @oclif/core's index loads every part of oclif (~10 ms more).
import { Config, Plugin } from '@oclif/core/config';
import { setLogger } from '@oclif/core/logger';
import { existsSync, readFileSync } from 'node:fs';
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
    // oclif reads the manifest through node:fs/promises, whose loading (readline, watchers, the
    // streams) is ~1.7 ms of every help page; the same file read synchronously. A private
    // method in oclif's typings, so replaced on the instance.
    else {
      Object.defineProperty(this, '_manifest', {
        value: async (): Promise<Interfaces.Manifest> => {
          const file = `${root}/oclif.manifest.json`;
          const manifest = JSON.parse(readFileSync(file, 'utf8')) as Interfaces.Manifest;
          this.commandIDs = Object.keys(manifest.commands);
          return manifest;
        },
      });
    }
  }

  override async load(): Promise<void> {
    // oclif sorts the command ids with localeCompare, whose first call builds ICU's collator
    // (~5 ms of every help page and flag error). The ids are lowercase ASCII words, which
    // code-unit order sorts as the collator does.
    const localeCompare = Object.getOwnPropertyDescriptor(String.prototype, 'localeCompare')!;
    Object.defineProperty(String.prototype, 'localeCompare', {
      ...localeCompare,
      value(this: string, that: string) {
        return this < that ? -1 : this > that ? 1 : 0;
      },
    });
    try {
      await super.load();
    } finally {
      Object.defineProperty(String.prototype, 'localeCompare', localeCompare);
    }
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

/**
 * oclif's debug output, when DEBUG asks for it; otherwise a logger that drops it, because
 * creating oclif's own loads the `debug` package and node:tty (~6 ms of every help page).
 */
function quietLogger(namespace = 'tsctr'): Interfaces.Logger | undefined {
  if (process.env.DEBUG) return undefined;
  const none = () => {};
  return {
    namespace,
    child: (ns) => quietLogger(`${namespace}:${ns}`)!,
    debug: none,
    error: none,
    info: none,
    trace: none,
    warn: none,
  };
}

class TsctrConfig extends Config {
  /**
   * oclif reads the user's theme.json through node:fs/promises, whose loading (readline,
   * watchers, the streams) is ~1.7 ms of every help page; it is asked only when there is one.
   */
  override async loadTheme(): Promise<Interfaces.Theme | undefined> {
    if (!existsSync(`${this.configDir}/theme.json`)) return undefined;
    return super.loadTheme();
  }
}

/** oclif's Config over the code-built root plugin. */
export async function loadConfig(root: string, load: ClassLoader): Promise<Config> {
  const logger = quietLogger();
  // The plugin logs while it loads, before Config.load would have installed the logger.
  setLogger({ root, logger });
  const plugin = new TsctrPlugin(root, load);
  await plugin.load();
  const config = new TsctrConfig({
    root,
    pjson,
    logger,
    plugins: new Map([[plugin.name, plugin]]),
  });
  await config.load();
  return config;
}
