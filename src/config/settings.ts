/**
 * The run-time keys of tsctr's configuration file, $XDG_CONFIG_HOME/tsctr/config.json (the
 * file whose registry keys src/registry/tsctr-config.ts reads): "ignore-limits": true runs
 * containers whose resource limits this host cannot apply without them, after a warning,
 * instead of refusing them (`--ignore-limits` for one container).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError, TsctrError } from '../errors.ts';

export function tsctrConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || process.getBuiltinModule('node:os').homedir();
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'tsctr/config.json');
}

/** The "ignore-limits" key; false when the file or the key is absent. */
export function configIgnoresLimits(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = tsctrConfigFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw fromSystemError('cannot read tsctr configuration', err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TsctrError(
      `invalid JSON in ${file}: ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}`,
      {
        hint: 'fix or remove the file',
        path: file,
      },
    );
  }
  const value = (doc as Record<string, unknown> | null)?.['ignore-limits'];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new TsctrError(`"ignore-limits" in ${file} must be true or false`, { path: file });
  }
  return value;
}
