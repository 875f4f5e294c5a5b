/**
 * A client for the registry that `login` and `push` address directly (no mirrors: mirrors
 * serve pulls only, as in docker and containers/image), with the TLS decision of the registry
 * configuration and the stored credentials.
 */
import { RegistryClient, type RegistryCredential } from './client.ts';
import { getCredentials } from './credentials.ts';
import type { Env } from './auth-file.ts';
import { loadRegistriesConfig, type RegistriesConfig } from './registries-conf.ts';
import { isInsecureRegistry } from './sources.ts';

export interface EndpointOptions {
  env?: Env;
  /** --authfile */
  authfile?: string;
  /** --tls-verify=false allows plain HTTP and unverified TLS to any registry. */
  tlsVerify?: boolean;
  /** The repository path, for credentials stored per namespace. */
  repository?: string;
  /** Credentials to use instead of the stored ones (login checks new ones). */
  credentials?: RegistryCredential;
  registries?: RegistriesConfig;
}

/** Whether `registry` (host[:port]) may be spoken to in plain HTTP or unverified TLS. */
export function endpointInsecure(registry: string, opts: EndpointOptions): boolean {
  if (opts.tlsVerify === false) return true;
  const conf = opts.registries ?? loadRegistriesConfig(opts.env ?? process.env);
  return isInsecureRegistry(conf, registry);
}

export function endpointClient(registry: string, opts: EndpointOptions = {}): RegistryClient {
  const given = opts.credentials;
  return new RegistryClient(registry, {
    insecure: endpointInsecure(registry, opts),
    credentials: given
      ? () => Promise.resolve(given)
      : async () => {
          const c = await getCredentials(registry, {
            ...(opts.env ? { env: opts.env } : {}),
            ...(opts.authfile ? { authfile: opts.authfile } : {}),
            ...(opts.repository ? { repository: opts.repository } : {}),
          });
          if (!c) return undefined;
          return {
            username: c.username,
            password: c.password,
            ...(c.identityToken ? { identityToken: c.identityToken } : {}),
          };
        },
  });
}
