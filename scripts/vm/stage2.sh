#!/bin/sh
# Stage 2 of the VM tier, PID 1 after switch_root into the host's root (read-only, with /tmp,
# /run, /root, /home writable: scripts/vm/init). Mounts the API filesystems and a pure cgroup2
# hierarchy, delegates cpu, cpuset, io, memory and pids to the test user the way systemd's
# user@UID.service is delegated (the user owns user@UID.service; its processes live in a leaf,
# session.scope, so the delegated cgroup itself holds none and can pass controllers down), then
# runs /mnt/cmd from that leaf, records its exit status in /mnt/rc and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mkdir -p /dev/pts /dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx 2>/dev/null
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
ip link set lo up
hostname tsctr-vm
[ -e /dev/net/tun ] && chmod 0666 /dev/net/tun
[ -e /dev/fuse ] && chmod 0666 /dev/fuse
mkdir -p "/run/user/$(id -u tsctr-test)"
chown tsctr-test: "/run/user/$(id -u tsctr-test)"

uid=$(id -u "${TSCTR_TEST_USER:-tsctr-test}")
cg=/sys/fs/cgroup
enable() { echo "+cpu +cpuset +io +memory +pids" >"$1/cgroup.subtree_control"; }
user="$cg/user.slice/user-$uid.slice/user@$uid.service"
mkdir -p "$user/session.scope" "$cg/init.scope"
# The root may hold no processes once controllers are passed down (its own are exempt, but
# keep them out of the way): this shell goes to init.scope.
echo $$ >"$cg/init.scope/cgroup.procs"
enable "$cg"
enable "$cg/user.slice"
enable "$cg/user.slice/user-$uid.slice"
enable "$user"
for d in "$user" "$user/session.scope"; do
  chown "$uid" "$d" "$d/cgroup.procs" "$d/cgroup.subtree_control" "$d/cgroup.threads"
done

# What runs the command is in the user's session leaf, as a login shell would be.
sh -c 'echo $$ >"$1/cgroup.procs" || echo "vm: cannot enter $1"; sh /mnt/cmd; echo $? >/mnt/rc' \
  sh "$user/session.scope" 2>&1 | tee /mnt/log
sync
# PID 1 must not exit (the kernel panics): power off straight away.
busybox poweroff -f
