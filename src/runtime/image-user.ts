/**
 * Resolving `--user`/the image's User ("name", "uid", "name:group", "uid:gid") against the
 * image's /etc/passwd and /etc/group, read from its layers top-down without mounting them. A
 * whiteout (0/0 character device) in a higher layer hides the file, as overlayfs would.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsctrError } from '../errors.ts';

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

/** Reads `rel` from the merged view of `layerDirs` (top layer first). */
export function readLayered(layerDirs: string[], rel: string): string | undefined {
  for (const dir of layerDirs) {
    const p = join(dir, rel);
    try {
      const st = lstatSync(p);
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      if (st.isFile()) return readFileSync(p, 'utf8');
      return undefined;
    } catch {
      // Not in this layer; look lower.
    }
  }
  return undefined;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

function parseGroup(text: string | undefined): { name: string; gid: number; members: string[] }[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }));
}

export function resolveUser(spec: string, layerDirs: string[]): ResolvedUser {
  const [userPart = '', groupPart] = (spec || '0').split(':');
  const passwd = parsePasswd(readLayered(layerDirs, 'etc/passwd'));
  const groups = parseGroup(readLayered(layerDirs, 'etc/group'));
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) {
      throw new TsctrError(`unable to find user ${userPart}: no matching entries in passwd file`, {
        hint: 'use a numeric uid, or a user the image defines in /etc/passwd',
      });
    }
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g)
        throw new TsctrError(
          `unable to find group ${groupPart}: no matching entries in group file`,
        );
      gid = g.gid;
    }
  }
  // Docker adds the groups that list the user by name (only when no group was given).
  const extra =
    entry && groupPart === undefined
      ? groups.filter((g) => g.members.includes(entry!.name) && g.gid !== gid).map((g) => g.gid)
      : [];
  return { uid, gid, groups: extra, home: entry?.home || '/' };
}
