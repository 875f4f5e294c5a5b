/**
 * Configuration files (registries.conf, config.json, auth.json) written by the test process for
 * the unprivileged user a sandbox runs tsctr as.
 */
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sandbox } from './harness.ts';

/** Writes a file the test user owns, creating (and handing over) missing directories. */
export function writeUserFile(sb: Sandbox, path: string, content: string): void {
  const missing: string[] = [];
  for (let d = dirname(path); !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d, { mode: 0o700 });
    if (process.getuid!() === 0) chownSync(d, sb.user.uid, sb.user.gid);
  }
  writeFileSync(path, content, { mode: 0o600 });
  if (process.getuid!() === 0) chownSync(path, sb.user.uid, sb.user.gid);
}

/** $XDG_CONFIG_HOME/containers/registries.conf */
export function writeRegistriesConf(sb: Sandbox, content: string): void {
  writeUserFile(sb, join(sb.configHome, 'containers/registries.conf'), content);
}

/** $XDG_RUNTIME_DIR/containers/auth.json with one Basic entry per registry. */
export function writeAuthJson(
  sb: Sandbox,
  entries: Record<string, { username: string; password: string }>,
): void {
  const auths = Object.fromEntries(
    Object.entries(entries).map(([host, c]) => [
      host,
      { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') },
    ]),
  );
  writeUserFile(
    sb,
    join(sb.env.XDG_RUNTIME_DIR!, 'containers/auth.json'),
    JSON.stringify({ auths }),
  );
}
