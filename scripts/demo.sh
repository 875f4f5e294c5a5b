#!/usr/bin/env bash
# The main job, offline: start a local registry, seed it with a busybox image, then — as an
# unprivileged user — pull it and run a container from it with tsctr.
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node
work=$(mktemp -d /tmp/tsctr-demo.XXXXXX)
chmod 0755 "$work"

"$node" scripts/demo-registry.ts "$work/registry" &
registry_pid=$!
cleanup() {
  kill "$registry_pid" 2>/dev/null || true
  wait "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$work/registry" ] && break; sleep 0.1; done
host=$(cat "$work/registry")

as_user() {
  if [ "$(id -u)" -eq 0 ]; then
    user=${SUDO_USER:-${TSCTR_TEST_USER:-tsctr-test}}
    [ "$user" = root ] && user=${TSCTR_TEST_USER:-tsctr-test}
    install -d -o "$user" -m 0700 "$work/state"
    setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
      env -i HOME="$work/state" PATH=/usr/local/bin:/usr/bin:/bin \
      TSCTR_ROOT="$work/state/root" TSCTR_RUNROOT="$work/state/run" "$@"
  else
    install -d -m 0700 "$work/state"
    env TSCTR_ROOT="$work/state/root" TSCTR_RUNROOT="$work/state/run" "$@"
  fi
}

tsctr() {
  echo "\$ tsctr $*"
  as_user bin/tsctr "$@"
}
tsctr pull "$host/busybox"
tsctr images
tsctr run --rm "$host/busybox" sh -c 'id; hostname; echo $$; cat /proc/1/cmdline; echo'
