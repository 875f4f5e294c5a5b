import { VERSION } from '../version.ts';

export function versionInfo() {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };
  return {
    Client: {
      Version: VERSION,
      NodeVersion: process.version,
      Native: `Node-API ${process.versions.napi}`,
      Os: process.platform,
      Arch: arch[process.arch] ?? process.arch,
    },
  };
}
