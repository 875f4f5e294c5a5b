#!/usr/bin/env bash
# Prepares a Debian/Ubuntu machine for tsctr and its tests (run as root, e.g. with sudo):
# the system packages, an unprivileged test user with /etc/subuid and /etc/subgid ranges,
# access to /dev/net/tun and /dev/fuse, then `npm ci`, the build and the single binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup.sh must run as root (sudo scripts/setup.sh)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# uidmap: newuidmap/newgidmap. docker-registry: the test and demo registry. busybox-static: the
# test image. cmake/g++/ninja: the native core. podman+runc: the benchmark's reference.
# passt/slirp4netns/fuse-overlayfs: what `tsctr info` reports on; iptables: the NAT of user
# networks; curl: a published port fetched from the host in tests. apache2-utils: htpasswd,
# for the Basic-auth test registry. xz-utils/bzip2: what tsctr runs to read such archives.
# zsh/fish/bash-completion: the shells the completion tests complete in (zsh also drives bash
# and itself through a pseudo-terminal). qemu-system-x86/kmod/e2fsprogs: the VM tier
# (scripts/vm/run.ts) boots Debian's kernel with real cgroup v2 (depmod indexes its modules,
# mkfs.ext4 makes its scratch disk); systemd: the user manager and systemd-run that its
# systemd test runs.
apt-get install -y -qq --no-install-recommends \
  uidmap docker-registry busybox-static openssl procps util-linux apache2-utils libcap2-bin \
  xz-utils bzip2 strace zsh fish bash-completion \
  cmake g++ make ninja-build clang-format binutils libseccomp-dev \
  podman runc passt slirp4netns fuse-overlayfs iptables curl \
  qemu-system-x86 kmod e2fsprogs systemd >/dev/null

user=${TSCTR_TEST_USER:-tsctr-test}
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
fi
# A range after every existing one, unless the user has one (useradd may have added it).
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  if ! grep -q "^$user:" "$f"; then
    start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' "$f")
    echo "$user:$start:65536" >>"$f"
  fi
done
# Debian ships these 0600 on some machines (0666 on workstations); rootless networking and
# fuse-overlayfs need them.
chmod 0666 /dev/net/tun /dev/fuse 2>/dev/null || true

if [ "${SKIP_NPM:-}" != 1 ]; then
  npm ci --no-audit --no-fund
  npm run build
  npm run build:binary
fi
echo "setup done: test user $user ($(grep "^$user:" /etc/subuid))"
