// The VM tier: boots Debian's kernel under qemu (TCG: no KVM needed) with an initramfs of our
// own, the host's root shared read-only over 9p, a fresh ext4 disk for /tmp, and cgroup v2
// with cpu, cpuset, io, memory and pids delegated to the test user (scripts/vm/init,
// scripts/vm/stage2.sh), runs a command inside as root and exits with its status.
//
//   node scripts/vm/run.ts                 the VM test files (vitest.vm.config.ts)
//   node scripts/vm/run.ts -- sh -c '…'    anything else, for debugging
//   VM_TIMEOUT=1500 VM_MEMORY=3072        (seconds; MiB)
//
// As root: 9p's passthrough security model serves the host's owners and setuid bits (newuidmap)
// as they are. The kernel package is downloaded once (apt-get download, not installed) into
// build/vm/, where the initramfs is rebuilt whenever its inputs change.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CACHE = join(ROOT, 'build/vm');
const TIMEOUT = Number(process.env.VM_TIMEOUT ?? 1500) * 1000;
const MEMORY = Number(process.env.VM_MEMORY ?? 3072);
const QEMU = '/usr/bin/qemu-system-x86_64';

function fail(message: string): never {
  console.error(`vm: ${message}`);
  process.exit(125);
}

const sh = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The kernel package linux-image-amd64 points at, extracted; its version and directory. */
function kernel(): { version: string; dir: string } {
  const pkg = /Depends: (linux-image-\S+)/.exec(
    sh('apt-cache', ['depends', 'linux-image-amd64']),
  )?.[1];
  if (!pkg) fail('apt-cache knows no linux-image-amd64: run scripts/setup.sh as root first');
  const version = pkg.replace(/^linux-image-/, '');
  const dir = join(CACHE, `kernel-${version}`);
  if (existsSync(join(dir, 'ok'))) return { version, dir };
  rmSync(dir, { recursive: true, force: true });
  const dl = join(CACHE, 'download');
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(dl, { recursive: true });
  console.error(`vm: downloading ${pkg}`);
  sh('apt-get', ['download', pkg], dl);
  const deb = readdirSync(dl).find((f) => f.endsWith('.deb'));
  if (!deb) fail(`apt-get download ${pkg} left no package`);
  sh('dpkg-deb', ['-x', join(dl, deb), dir]);
  sh('depmod', ['-b', dir, version]);
  rmSync(dl, { recursive: true, force: true });
  writeFileSync(join(dir, 'ok'), '');
  return { version, dir };
}

/** What the initramfs loads, in an order that satisfies each module's dependencies. */
const WANTED = [
  'virtio_pci',
  '9pnet_virtio',
  '9p',
  'virtio_blk',
  // ext4 checksums its metadata with crc32c, which it asks the crypto API for by name.
  'crc32c_generic',
  'ext4',
  'overlay',
  'tun',
  'fuse',
  'veth',
  'bridge',
];

function moduleOrder(modDir: string): string[] {
  const deps = new Map<string, string[]>();
  for (const line of readFileSync(join(modDir, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':');
    if (mod) deps.set(mod, (rest ?? '').trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map(
    [...deps.keys()].map((m) => [m.replace(/^.*\//, '').replace(/\.ko.*$/, ''), m]),
  );
  const out: string[] = [];
  const visit = (m: string) => {
    if (out.includes(m)) return;
    // modules.dep lists every dependency, transitive ones included, deepest last.
    for (const d of [...(deps.get(m) ?? [])].reverse()) visit(d);
    out.push(m);
  };
  for (const name of WANTED) {
    const m = byName.get(name);
    if (m) visit(m);
  }
  return out;
}

function initramfs(k: { version: string; dir: string }): string {
  const modDir = join(k.dir, 'lib/modules', k.version);
  const inputs = [join(ROOT, 'scripts/vm/init'), join(ROOT, 'scripts/vm/run.ts'), '/bin/busybox'];
  const out = join(CACHE, `initrd-${k.version}.cpio`);
  if (existsSync(out) && inputs.every((f) => statSync(f).mtimeMs < statSync(out).mtimeMs))
    return out;
  const tree = join(CACHE, 'initramfs');
  rmSync(tree, { recursive: true, force: true });
  for (const d of ['bin', 'proc', 'sys', 'dev', 'newroot', 'modules'])
    mkdirSync(join(tree, d), { recursive: true });
  copyFileSync('/bin/busybox', join(tree, 'bin/busybox'));
  chmodSync(join(tree, 'bin/busybox'), 0o755);
  copyFileSync(join(ROOT, 'scripts/vm/init'), join(tree, 'init'));
  chmodSync(join(tree, 'init'), 0o755);
  const order = moduleOrder(modDir);
  for (const m of order) {
    mkdirSync(join(tree, 'modules', dirname(m)), { recursive: true });
    copyFileSync(join(modDir, m), join(tree, 'modules', m));
  }
  writeFileSync(join(tree, 'modules.order'), `${order.join('\n')}\n`);
  writeFileSync(join(tree, 'modules.dir'), join(k.dir, 'lib/modules'));
  writeFileSync(join(tree, 'stage2'), join(ROOT, 'scripts/vm/stage2.sh'));
  writeFileSync(join(tree, 'checkout'), ROOT);
  const files = sh('busybox', ['find', '.'], tree);
  const cpio = execFileSync('busybox', ['cpio', '-o', '-H', 'newc'], {
    cwd: tree,
    input: files,
    maxBuffer: 1 << 30,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  writeFileSync(out, cpio);
  return out;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) fail('run as root (the 9p share serves the host root as it is)');
  if (!existsSync(QEMU)) fail(`${QEMU} is missing: run scripts/setup.sh as root first`);
  mkdirSync(CACHE, { recursive: true });
  const k = kernel();
  const initrd = initramfs(k);
  // modprobe inside looks in /usr/lib/modules, where stage 1 binds this kernel's modules.
  mkdirSync('/usr/lib/modules', { recursive: true });

  const at = process.argv.indexOf('--');
  const cmd =
    at >= 0
      ? process.argv.slice(at + 1)
      : [
          join(ROOT, 'node_modules/.bin/vitest'),
          'run',
          '--config',
          join(ROOT, 'vitest.vm.config.ts'),
          // The checkout is read-only in the VM: no bundled config written next to it, no
          // results cache.
          '--configLoader',
          'runner',
          '--no-cache',
        ];
  const run = join(CACHE, `run-${process.pid}`);
  mkdirSync(run, { recursive: true });
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
  const env = Object.keys(process.env)
    .filter((v) => ['CI', 'TSCTR_BIN', 'TSCTR_TEST_USER'].includes(v) || v.startsWith('BENCH_'))
    .map((v) => `export ${v}=${quote(process.env[v]!)}`);
  writeFileSync(
    join(run, 'cmd'),
    [
      // The pinned Node (node_modules/.bin/node) first, as npm scripts have it.
      `export HOME=/root TSCTR_VM=1 PATH=${quote(join(ROOT, 'node_modules/.bin'))}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      ...env,
      `cd ${quote(ROOT)}`,
      cmd.map(quote).join(' '),
      '',
    ].join('\n'),
  );
  const disk = join(run, 'scratch.img');
  writeFileSync(disk, '');
  execFileSync('truncate', ['-s', '8G', disk]);
  sh('mkfs.ext4', ['-q', '-F', disk]);

  const started = Date.now();
  const qemu = spawn(
    QEMU,
    [
      ...['-machine', 'q35', '-accel', 'tcg', '-cpu', 'max', '-smp', '2', '-m', String(MEMORY)],
      ...['-nographic', '-no-reboot', '-kernel', join(k.dir, `boot/vmlinuz-${k.version}`)],
      ...['-initrd', initrd, '-append', 'console=ttyS0 quiet panic=-1 loglevel=3'],
      ...['-fsdev', 'local,id=root,path=/,security_model=passthrough,readonly=on,multidevs=remap'],
      ...['-device', 'virtio-9p-pci,fsdev=root,mount_tag=root'],
      ...['-fsdev', `local,id=out,path=${run},security_model=passthrough`],
      ...['-device', 'virtio-9p-pci,fsdev=out,mount_tag=out'],
      ...['-drive', `file=${disk},format=raw,if=virtio`],
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const timer = setTimeout(() => {
    console.error(`vm: no result after ${TIMEOUT / 1000} s; stopping the VM`);
    qemu.kill('SIGKILL');
  }, TIMEOUT);
  await new Promise((done) => qemu.on('exit', done));
  clearTimeout(timer);
  const rc = existsSync(join(run, 'rc'))
    ? Number(readFileSync(join(run, 'rc'), 'utf8'))
    : undefined;
  console.error(
    `vm: ${cmd.join(' ')}: ${rc === undefined ? 'no exit status' : `exit ${rc}`} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  rmSync(run, { recursive: true, force: true });
  return rc ?? 125;
}

process.exitCode = await main();
