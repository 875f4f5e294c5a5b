/**
 * tsctr's default seccomp profile, in docker's profile format and with the semantics of docker's
 * default: every syscall not listed fails with EPERM; a few more are allowed only with the
 * capability the kernel itself would demand (mount, unshare and setns with SYS_ADMIN, and so on),
 * so `--cap-add` opens exactly the calls it should. Among what stays denied by default: keyctl,
 * add_key, request_key, kexec_load, open_by_handle_at, bpf, perf_event_open, userfaultfd, mount,
 * and clone with namespace flags (clone3 answers ENOSYS, so libc falls back to clone).
 */
import type { DockerSeccompProfile, DockerSyscallRule } from './seccomp.ts';

const words = (s: string) => s.trim().split(/\s+/);

const ALLOWED = words(`
  accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
  clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
  clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat
  dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2
  epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group
  faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat
  fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr
  fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64
  futex futex_time64 futex_waitv futimesat
  getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32
  getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
  getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage
  getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr
  inotify_add_watch inotify_init inotify_init1 inotify_rm_watch
  io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get
  ioprio_set io_setup io_submit io_uring_enter io_uring_register io_uring_setup ipc kill
  landlock_add_rule landlock_create_ruleset landlock_restrict_self
  lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek
  lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat
  mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect
  mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
  mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall
  munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause
  pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
  ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
  pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg
  recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
  restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
  rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
  sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
  sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
  sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select
  semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg
  sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32
  setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid
  setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area
  set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack
  signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs
  statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
  timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
  timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
  timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat
  utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
`);

/** Calls allowed only with a capability (all of those named). */
const WITH_CAP: [string[], string][] = [
  [['DAC_READ_SEARCH'], 'open_by_handle_at'],
  [
    ['SYS_ADMIN'],
    `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount
     mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname
     sethostname setns syslog umount umount2 unshare`,
  ],
  [['SYS_BOOT'], 'reboot'],
  [['SYS_CHROOT'], 'chroot'],
  [['SYS_MODULE'], 'delete_module init_module finit_module'],
  [['SYS_PACCT'], 'acct'],
  [['SYS_PTRACE'], 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'],
  [['SYS_RAWIO'], 'iopl ioperm'],
  [['SYS_TIME'], 'settimeofday stime clock_settime clock_settime64'],
  [['SYS_TTY_CONFIG'], 'vhangup'],
  [['SYS_NICE'], 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node'],
  [['SYSLOG'], 'syslog'],
  [['BPF'], 'bpf'],
  [['PERFMON'], 'perf_event_open'],
];

/** Per-architecture calls (docker's arch names, as GOARCH). */
const FOR_ARCH: [string[], string][] = [
  [['ppc64le'], 'sync_file_range2 swapcontext'],
  [
    ['arm', 'arm64'],
    'arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls',
  ],
  [['amd64', 'x32'], 'arch_prctl'],
  [['amd64', 'x32', 'x86'], 'modify_ldt'],
  [['s390', 's390x'], 's390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr'],
  [['riscv64'], 'riscv_flush_icache'],
];

// The namespace bits of clone's flags (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID,
// NEWNET): a clone asking for none of them is a plain fork or thread.
const CLONE_NS_MASK = 0x7e020000n;

// personality(2) personas that change nothing dangerous: PER_LINUX, PER_LINUX32,
// UNAME26, PER_LINUX32|UNAME26, and the query 0xffffffff.
const PERSONAS = [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn];

export function defaultProfile(): DockerSeccompProfile {
  const allow = (names: string[], extra: Partial<DockerSyscallRule> = {}): DockerSyscallRule => ({
    names,
    action: 'SCMP_ACT_ALLOW',
    ...extra,
  });
  const syscalls: DockerSyscallRule[] = [
    allow(ALLOWED),
    allow(words('process_vm_readv process_vm_writev ptrace'), { includes: { minKernel: '4.8' } }),
    // AF_VSOCK (40) stays closed: it reaches the hypervisor's host.
    allow(['socket'], { args: [{ index: 0, value: 40n, op: 'SCMP_CMP_NE' }] }),
    ...PERSONAS.map((p) =>
      allow(['personality'], { args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }] }),
    ),
    ...FOR_ARCH.map(([arches, names]) => allow(words(names), { includes: { arches } })),
    ...WITH_CAP.map(([caps, names]) =>
      allow(words(names), { includes: { caps: caps.map((c) => `CAP_${c}`) } }),
    ),
    allow(['clone'], {
      args: [{ index: 0, value: CLONE_NS_MASK, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    }),
    // s390 passes clone's flags second.
    allow(['clone'], {
      args: [{ index: 1, value: CLONE_NS_MASK, op: 'SCMP_CMP_MASKED_EQ' }],
      includes: { arches: ['s390', 's390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    }),
    {
      names: ['clone3'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38, // ENOSYS
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
  ];
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
      { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
      { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
      { architecture: 'SCMP_ARCH_PPC64LE', subArchitectures: null },
    ],
    syscalls,
  };
}
