/**
 * Whether the limits asked for can be applied here, and what happens when they cannot. They
 * need a cgroup v2 subtree delegated to the user with each limit's controller. Where there is
 * none (cgroup v1, a v1/v2 hybrid, controllers not delegated), a container with limits is
 * refused with the reason and the fix, never run without them silently; `--ignore-limits`, or
 * `"ignore-limits": true` in tsctr's config.json (src/config/settings.ts), runs it without them
 * after one warning.
 */
import { TsctrError } from '../../errors.ts';
import { cgroupHost, hierarchyReason, type CgroupHost } from '../../host/cgroups.ts';
import { containerControllers } from '../cgroups/index.ts';
import type { Requested } from './parse.ts';

/** What systemd's user@.service needs to delegate every controller tsctr uses. */
export const DELEGATE_DROP_IN = [
  'mkdir -p /etc/systemd/system/user@.service.d',
  "printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' > /etc/systemd/system/user@.service.d/delegate.conf",
  'systemctl daemon-reload   # then log in again',
].join('\n');

const OPT_OUT =
  'or run without them: add --ignore-limits, or set "ignore-limits": true in ~/.config/tsctr/config.json';

function fix(host: CgroupHost): string {
  if (host.hierarchy !== '2') {
    return `boot the host with cgroup v2 alone (systemd.unified_cgroup_hierarchy=1 on the kernel command line, the default since systemd 247), ${OPT_OUT}`;
  }
  return `delegate the controllers to your user, as root:\n${DELEGATE_DROP_IN}\n${OPT_OUT}`;
}

const flagsOf = (r: readonly Requested[]) => [...new Set(r.map((x) => x.flag))].join(', ');

/**
 * Checks `requested` against the host. Returns the warning to print when the user opted out
 * of limits that cannot be applied; throws (exit 125) when they did not.
 */
export async function checkLimits(
  requested: readonly Requested[],
  ignore: boolean,
  host: CgroupHost = cgroupHost(),
  available: () => Promise<{ controllers: string[] } | { none: string }> = containerControllers,
): Promise<string | undefined> {
  if (!requested.length) return undefined;
  let why = hierarchyReason(host);
  if (!why) {
    const have = await available();
    if ('none' in have) {
      why = have.none || 'no cgroup of yours is delegated to you';
    } else {
      const missing = [...new Set(requested.map((r) => r.controller))].filter(
        (c) => !have.controllers.includes(c),
      );
      if (missing.length) {
        why = `the ${missing.join(', ')} controller${missing.length > 1 ? 's are' : ' is'} not delegated to you (your cgroup has: ${have.controllers.join(' ') || 'none'})`;
      }
    }
  }
  if (!why) return undefined;
  if (ignore) return `WARNING: resource limits ignored (${flagsOf(requested)}): ${why}`;
  throw new TsctrError(
    `${flagsOf(requested)}: resource limits need cgroup v2 controllers delegated to you: ${why}`,
    { hint: fix(host) },
  );
}
