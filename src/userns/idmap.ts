/**
 * The user's id mapping: container uid 0 is the user, container uids 1… are the user's
 * /etc/subuid ranges in file order (podman's layout), likewise for gids. Written for a child
 * process by the setuid helpers newuidmap/newgidmap (shadow's uidmap package); without ranges,
 * a single-id mapping that the kernel lets an unprivileged process write itself.
 */
import { writeFileSync, statSync } from 'node:fs';
import { readTextOr } from './read-text.ts';
import { TsctrError, errnoName } from '../errors.ts';
import { native } from '../native/loader.ts';

export interface IdRange {
  /** First id inside the namespace. */
  inside: number;
  /** First id outside (on the host). */
  outside: number;
  count: number;
}

export interface IdMap {
  uids: IdRange[];
  gids: IdRange[];
  /** True when no subordinate ranges were found: only the user's own id is mapped. */
  single: boolean;
}

export interface SubidEntry {
  start: number;
  count: number;
}

/** Parses /etc/subuid or /etc/subgid text, keeping the entries for `user` (name or id). */
export function parseSubids(text: string, user: { name: string; id: number }): SubidEntry[] {
  const out: SubidEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [who, start, count] = line.split(':');
    if (who !== user.name && who !== String(user.id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s >= 0 && c > 0) {
      out.push({ start: s, count: c });
    }
  }
  return out;
}

export function buildRanges(ownId: number, subids: SubidEntry[]): IdRange[] {
  const ranges: IdRange[] = [{ inside: 0, outside: ownId, count: 1 }];
  let next = 1;
  for (const s of subids) {
    ranges.push({ inside: next, outside: s.start, count: s.count });
    next += s.count;
  }
  return ranges;
}

/** The login name of `uid` in a passwd(5) text, the first line that has it. */
export function passwdName(text: string, uid: number): string | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[2] === String(uid) && f[0]) return f[0];
  }
  return undefined;
}

let userName: string | undefined;

/**
 * The user's login name, as newuidmap finds it (getpwuid). /etc/passwd is read first: asking
 * NSS through os.userInfo() took 0.3-0.45 ms of `run` (it loads the NSS modules nsswitch.conf
 * names), reading the file 0.05 ms; only users of a directory service (LDAP, sssd) are missing
 * from it.
 */
function currentUserName(): string {
  userName ??=
    passwdName(readTextOr('/etc/passwd'), process.getuid!()) ??
    process.getBuiltinModule('node:os').userInfo().username;
  return userName;
}

/** The user's subordinate ranges from /etc/subuid and /etc/subgid, in file order. */
export function userSubids(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): {
  subuids: SubidEntry[];
  subgids: SubidEntry[];
} {
  const who = { name: currentUserName(), id: process.getuid!() };
  return {
    subuids: parseSubids(readTextOr(files.subuid), who),
    subgids: parseSubids(readTextOr(files.subgid), who),
  };
}

export function currentIdMap(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): IdMap {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const { subuids, subgids } = userSubids(files);
  const single = subuids.length === 0 || subgids.length === 0;
  return {
    uids: single ? buildRanges(uid, []) : buildRanges(uid, subuids),
    gids: single ? buildRanges(gid, []) : buildRanges(gid, subgids),
    single,
  };
}

/** Highest container id mapped + 1. */
export function mappedCount(ranges: IdRange[]): number {
  return ranges.reduce((n, r) => Math.max(n, r.inside + r.count), 0);
}

export function mapArgs(ranges: IdRange[]): string[] {
  return ranges.flatMap((r) => [String(r.inside), String(r.outside), String(r.count)]);
}

const helpers = { uid: '/usr/bin/newuidmap', gid: '/usr/bin/newgidmap' };

/** Writes the maps of a process held before exec (see native/addon/spawn.h). */
export async function writeIdMaps(pid: number, map: IdMap): Promise<void> {
  if (map.single) {
    // An unprivileged process may map only its own ids, and only after giving up setgroups(2)
    // for the namespace (user_namespaces(7), since Linux 3.19).
    const write = (file: string, text: string) => {
      try {
        writeFileSync(`/proc/${pid}/${file}`, text);
      } catch (err) {
        throw new TsctrError(`cannot write /proc/${pid}/${file}: ${(err as Error).message}`, {
          cause: err,
          hint: 'check that user namespaces are enabled (/proc/sys/user/max_user_namespaces)',
        });
      }
    };
    write('uid_map', `0 ${map.uids[0]!.outside} 1\n`);
    write('setgroups', 'deny');
    write('gid_map', `0 ${map.gids[0]!.outside} 1\n`);
    return;
  }
  // Run by the addon, both at once, waited for together: they run on every `run` and in every
  // layer writer of pull and load. With execa a `run --rm IMAGE true` took 96 ms instead of 72
  // (medians of 30 whole processes); node:child_process's execFile still cost ~3 ms a program
  // on the main thread (two of /bin/true: 7.2 ms), posix_spawn about one.
  const kinds = ['uid', 'gid'] as const;
  const results = native().runHelpers(
    kinds.map((kind) => [
      helpers[kind],
      String(pid),
      ...mapArgs(kind === 'uid' ? map.uids : map.gids),
    ]),
  );
  kinds.forEach((kind, i) => {
    const r = results[i]!;
    if (r.code === 0 && r.errno === 0) return;
    const why = r.errno
      ? `${helpers[kind]}: ${errnoName(r.errno)}`
      : r.stderr.trim() || `exited with ${r.signal ? `signal ${r.signal}` : r.code}`;
    throw new TsctrError(`new${kind}map failed: ${why}`, {
      hint: newidmapHint(helpers[kind], kind),
    });
  });
}

function newidmapHint(file: string, kind: string): string {
  try {
    const st = statSync(file);
    if ((st.mode & 0o4000) === 0)
      return `${file} should have setuid or have filecaps set${kind}: reinstall the uidmap package`;
  } catch {
    return `install the uidmap package (it provides ${file})`;
  }
  return `check the user's ranges in /etc/sub${kind} (see subuid(5)) and run \`tsctr info\``;
}

export function hasIdmapHelpers(): boolean {
  try {
    statSync(helpers.uid);
    statSync(helpers.gid);
    return true;
  } catch {
    return false;
  }
}
