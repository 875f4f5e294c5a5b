// tsctr's commands as the build and the docs see them: every file under src/commands/ is one
// command, its oclif id taken from its path (src/commands/image/ls.ts is `image:ls`), as
// oclif's own pattern discovery names them.
import { globSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from '@oclif/core';
import type { CommandClass } from '../src/cli/command.ts';

export async function commandClasses(): Promise<Record<string, CommandClass>> {
  const classes: Record<string, CommandClass> = {};
  for (const file of globSync('src/commands/**/*.ts').sort()) {
    const id = file.slice('src/commands/'.length, -'.ts'.length).replaceAll('/', ':');
    const mod = (await import(/* @vite-ignore */ pathToFileURL(resolve(file)).href)) as {
      default: CommandClass;
    };
    const cmd = mod.default;
    cmd.id = id;
    classes[id] = cmd;
  }
  return classes;
}

/** oclif's manifest of tsctr's commands and the completion commands, built by oclif itself. */
export async function manifestOf(classes: Record<string, CommandClass>, root: string) {
  const { TsctrPlugin } = await import('../src/cli/oclif/plugin.ts');
  const { pluginCommands } = await import('../src/cli/oclif/completion/index.ts');
  const all: Record<string, Command.Class> = {
    ...(classes as unknown as Record<string, Command.Class>),
    ...pluginCommands,
  };
  const plugin = new TsctrPlugin(root, async (id) => all[id], all);
  await plugin.load();
  return plugin.manifest;
}
