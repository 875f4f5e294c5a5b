/**
 * HTTP access to one registry (distribution spec v2) with undici's `request` (undici's `fetch`
 * can crash the process: nodejs/undici#5360) over a keep-alive pool. Handles the scheme (HTTPS;
 * plain HTTP allowed for loopback registries as docker does), Bearer token challenges and
 * docker-style error messages.
 */
import type { Readable } from 'node:stream';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { TsctrError } from '../errors.ts';
import { isLoopbackRegistry, registryApiHost } from './reference.ts';
import { parseChallenge, tokenFromResponse, type CachedToken } from './auth.ts';

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

interface RegistryErrorBody {
  errors?: { code?: string; message?: string }[];
}

export class RegistryClient {
  readonly domain: string;
  private readonly host: string;
  private base: string | undefined;
  private readonly agent: Dispatcher;
  private readonly pool: Agent;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(domain: string) {
    this.domain = domain;
    this.host = registryApiHost(domain);
    // A black-holed registry must fail in seconds, not minutes.
    // Loopback registries are "insecure" to docker: HTTPS without certificate checks, or HTTP.
    this.pool = new Agent({
      connect: { timeout: 10_000, rejectUnauthorized: !isLoopbackRegistry(domain) },
      keepAliveTimeout: 10_000,
      pipelining: 1,
    });
    // Registries commonly redirect blob downloads to object storage.
    this.agent = this.pool.compose(interceptors.redirect({ maxRedirections: 5 }));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** HTTPS, except that a loopback registry may answer in plain HTTP (docker's default). */
  private async baseUrl(): Promise<string> {
    if (this.base) return this.base;
    const https = `https://${this.host}`;
    if (!isLoopbackRegistry(this.domain)) return (this.base = https);
    try {
      const r = await request(`${https}/v2/`, { dispatcher: this.pool, method: 'GET' });
      await r.body.dump();
      return (this.base = https);
    } catch {
      return (this.base = `http://${this.host}`);
    }
  }

  private async send(
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
  ): Promise<RegistryResponse> {
    const url = (await this.baseUrl()) + path;
    try {
      const r = await request(url, { method, headers, dispatcher: this.agent });
      return { status: r.statusCode, headers: r.headers, body: r.body };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new TsctrError(
        `cannot reach registry ${this.domain}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '),
        {
          cause: err,
          errno: e.code,
          hint: 'check the registry address and that it is running; tsctr uses HTTPS except for localhost and 127.0.0.0/8',
        },
      );
    }
  }

  /**
   * GET/HEAD with authentication: on a 401 Bearer challenge fetch a token for the challenge's
   * scope (or `scope` when it names none) and retry once.
   */
  async fetch(
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    scope: string,
  ): Promise<RegistryResponse> {
    const cached = this.tokens.get(scope);
    const auth: Record<string, string> =
      cached && cached.expiresAt > Date.now() + 5_000
        ? { authorization: `Bearer ${cached.token}` }
        : {};
    let res = await this.send(method, path, { ...headers, ...auth });
    if (res.status !== 401) return res;
    const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
    await res.body.dump();
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new TsctrError(`${this.domain}: unauthorized: authentication required`, {
        hint: 'this registry needs credentials; `tsctr login` is not available yet',
      });
    }
    const token = await this.token(challenge.params, scope);
    res = await this.send(method, path, { ...headers, authorization: `Bearer ${token}` });
    return res;
  }

  private async token(params: Record<string, string>, fallbackScope: string): Promise<string> {
    const url = new URL(params.realm!);
    if (params.service) url.searchParams.set('service', params.service);
    const scope = params.scope || fallbackScope;
    for (const s of scope.split(' ')) url.searchParams.append('scope', s);
    let res;
    try {
      res = await request(url, { method: 'GET', dispatcher: this.agent });
    } catch (err) {
      throw new TsctrError(
        `cannot reach the token server ${url.origin}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new TsctrError(
        `token server ${url.origin} refused: HTTP ${res.statusCode} ${text.slice(0, 200)}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TsctrError(`token server ${url.origin} answered with invalid JSON`);
    }
    const t = tokenFromResponse(body);
    if (!t) throw new TsctrError(`token server ${url.origin} answered without a token`);
    this.tokens.set(fallbackScope, t);
    return t.token;
  }

  /** Turns a registry error answer into docker's wording. */
  async failure(res: RegistryResponse, what: string): Promise<TsctrError> {
    const text = await res.body.text().catch(() => '');
    let detail = '';
    try {
      const e = (JSON.parse(text) as RegistryErrorBody).errors?.[0];
      if (e) detail = `${(e.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`;
    } catch {
      detail = text.trim().slice(0, 200);
    }
    if (res.status === 404) return new TsctrError(`${what} not found: ${detail || 'not found'}`);
    if (res.status === 401 || res.status === 403) {
      return new TsctrError(`${what}: access denied: ${detail || `HTTP ${res.status}`}`, {
        hint: "the repository may not exist or may require 'docker login'",
      });
    }
    return new TsctrError(`${what}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
  }

  async getManifest(
    repo: string,
    reference: string,
    accept: string,
  ): Promise<{ body: Buffer; contentType: string | undefined; digestHeader: string | undefined }> {
    const res = await this.fetch(
      'GET',
      `/v2/${repo}/manifests/${reference}`,
      { accept },
      `repository:${repo}:pull`,
    );
    if (res.status !== 200)
      throw await this.failure(res, `manifest for ${this.domain}/${repo}:${reference}`);
    const body = await readLimited(res.body, MAX_MANIFEST, `manifest for ${this.domain}/${repo}`);
    const h = (k: string) => {
      const v = res.headers[k];
      return Array.isArray(v) ? v[0] : v;
    };
    return { body, contentType: h('content-type'), digestHeader: h('docker-content-digest') };
  }

  async getBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.fetch(
      'GET',
      `/v2/${repo}/blobs/${digest}`,
      {},
      `repository:${repo}:pull`,
    );
    if (res.status !== 200)
      throw await this.failure(res, `blob ${digest} of ${this.domain}/${repo}`);
    return res.body;
  }
}

/** containers/image's limit: a manifest or config is a few KiB; more is a hostile registry. */
export const MAX_MANIFEST = 4 << 20;

/** Reads a whole body, refusing one larger than `limit` bytes before it is all in memory. */
export async function readLimited(
  body: AsyncIterable<Buffer>,
  limit: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > limit) throw new TsctrError(`${what} is larger than ${limit} bytes; refusing it`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
