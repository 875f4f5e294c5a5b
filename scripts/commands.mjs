// tsctr's commands as the build and the docs see them: every file under src/commands/ is one
// command, its oclif id taken from its path (src/commands/image/ls.ts is `image:ls`), as
// oclif's own pattern discovery names them.
import { globSync } from 'node:fs';

export async function commandClasses() {
  const classes = {};
  for (const file of globSync('src/commands/**/*.ts').sort()) {
    const id = file.slice('src/commands/'.length, -'.ts'.length).replaceAll('/', ':');
    const cmd = (await import(`../${file}`)).default;
    cmd.id = id;
    classes[id] = cmd;
  }
  return classes;
}

/** oclif's manifest of tsctr's commands and the completion commands, built by oclif itself. */
export async function manifestOf(classes, root) {
  const { TsctrPlugin } = await import('../src/cli/oclif/plugin.ts');
  const { pluginCommands } = await import('../src/cli/oclif/completion/index.ts');
  const all = { ...classes, ...pluginCommands };
  const plugin = new TsctrPlugin(root, async (id) => all[id], all);
  await plugin.load();
  return plugin.manifest;
}
