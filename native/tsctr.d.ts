// The native addon's whole surface (native/addon/addon.cc). Loaded by src/native/loader.ts.

export interface SpawnHeldOptions {
  /** Absolute path of the executable. */
  file: string;
  argv: string[];
  /** "KEY=value" strings; the child's whole environment. */
  env: string[];
  /** CLONE_NEW* bits from `constants`; 0 spawns in the caller's namespaces. */
  cloneFlags: number;
  /** Parent fds that become fds 0, 1, 2, … of the child; every other fd is closed on exec. */
  stdio: number[];
  /** Start a new session (the child leaves the terminal's process group). */
  setsid: boolean;
}

export interface HeldChild {
  pid: number;
  /** Write end the child waits on; `release` writes to it. Closing it makes the child exit. */
  goFd: number;
  /** Read end of the child's close-on-exec error pipe. */
  errFd: number;
}

export interface WaitResult {
  code: number | null;
  signal: number | null;
}

export interface HelperResult {
  code: number;
  signal: number;
  errno: number;
  stderr: string;
}

export interface NativeAddon {
  /** Clones a child in new namespaces; it waits (before exec) until `release`. */
  spawnHeld(opts: SpawnHeldOptions): HeldChild;
  /** Lets a held child exec; returns 0 when exec succeeded, else the errno it failed with. */
  release(goFd: number, errFd: number): number;
  /** pipe2(2) with O_CLOEXEC: [readFd, writeFd]. */
  pipe(): [number, number];
  /**
   * Runs each command (`[path, ...args]`) at once with stdin and stdout /dev/null and waits for
   * all: exit code (-1 when killed), signal, the errno of a failed spawn (else 0), stderr.
   */
  runHelpers(commands: string[][]): HelperResult[];
  /** `n` bytes from the kernel's CSPRNG (getrandom(2)). */
  randomBytes(n: number): Buffer;
  /** The lower-case hex SHA-256 of a string's UTF-8 bytes (the OpenSSL that Node carries). */
  sha256(text: string): string;
  /** socketpair(2), AF_UNIX stream, close-on-exec: two connected fds. */
  socketpair(): [number, number];
  /** Sets or clears a terminal's OPOST output flag; 0, or the errno. */
  setOutputProcessing(fd: number, on: boolean): number;
  /** flock(2): 0 on success, else the errno (EWOULDBLOCK = 11 when `wait` is false and held). */
  flock(fd: number, exclusive: boolean, wait: boolean): number;
  /** getxattr(2): the value, or null when the file has no such attribute. */
  getxattr(path: string, name: string): Buffer | null;
  /**
   * Each file as a process in `nsPid`'s user namespace reads it (a forked child joins it):
   * its first 16 KiB, or the errno that kept it. For /proc/PID/io of a container's processes
   * that run as a subordinate uid, mode 0400 and unreadable from outside.
   */
  readInUserns(nsPid: number, paths: string[]): (Buffer | number)[];
  /** waitpid(2) on a child spawned here; null when `block` is false and it still runs. */
  waitpid(pid: number, block: boolean): WaitResult | null;
  constants: {
    CLONE_NEWUSER: number;
    CLONE_NEWNS: number;
    CLONE_NEWPID: number;
    CLONE_NEWUTS: number;
    CLONE_NEWIPC: number;
    CLONE_NEWNET: number;
    CLONE_NEWCGROUP: number;
  };
}
