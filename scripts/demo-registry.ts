// Starts a registry on loopback, pushes the busybox test image, writes "HOST:PORT" to the file
// named by argv[2], and serves until killed. Used by scripts/demo.sh.
import { writeFileSync } from 'node:fs';
import { startRegistry } from '../test/fixtures/registry.ts';
import { seedBusybox } from '../test/fixtures/images.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: demo-registry.ts OUTFILE');
const registry = await startRegistry();
await seedBusybox(registry.host, 'busybox', 'latest');
writeFileSync(out, registry.host);
const stop = () => void registry.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => undefined, 1 << 30);
