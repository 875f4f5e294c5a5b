/**
 * HTTP access to one registry endpoint (distribution spec v2) with undici's `request` (undici's
 * `fetch` can crash the process: nodejs/undici#5360) over a keep-alive pool. Handles the scheme
 * (HTTPS; plain HTTP for insecure and loopback registries as docker allows), authentication
 * (anonymous, Basic, Bearer tokens from the challenge's realm, re-challenge on
 * insufficient_scope) and docker-style error messages. One attempt per call: retries, resume
 * and mirror fallback are the callers' policy (src/registry/blob-download.ts,
 * src/images/pull-sources.ts).
 */
import type { Readable } from 'node:stream';
import { Agent, redirect, request, type Dispatcher } from './http.ts';
import { TsctrError } from '../errors.ts';
import { isLoopbackRegistry, registryApiHost } from './reference.ts';
import { parseChallenge, tokenFromResponse, type CachedToken } from './auth.ts';

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export interface RegistryCredential {
  username: string;
  password: string;
  /** An OAuth2 refresh token (docker's "identitytoken"), used instead of the password. */
  identityToken?: string;
}

export interface ClientOptions {
  /** Skip TLS verification and allow plain HTTP (`insecure = true`, `--tls-verify=false`). */
  insecure?: boolean;
  /** Looked up only when a registry asks for credentials. */
  credentials?: () => Promise<RegistryCredential | undefined>;
  /** Milliseconds to connect, and to wait for response headers (a black-holed server). */
  connectTimeout?: number;
  headersTimeout?: number;
  /** Milliseconds without a byte of body before a download counts as stalled. */
  bodyTimeout?: number;
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request body; a stream comes as a factory, so an authentication retry can resend it. */
export type RequestBody = Buffer | (() => Readable);

interface RegistryErrorBody {
  errors?: { code?: string; message?: string }[];
}

/** A registry's HTTP answer that is not what was asked for; `status` lets callers choose. */
export class RegistryHttpError extends TsctrError {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;

  constructor(
    message: string,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    hint?: string,
  ) {
    super(message, hint ? { hint } : {});
    this.status = status;
    this.headers = headers;
  }
}

/** Network failure reaching a registry (refused, timed out, reset, TLS). */
export class RegistryNetworkError extends TsctrError {}

export function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export class RegistryClient {
  /** host[:port] as in references, e.g. docker.io or 127.0.0.1:5000. */
  readonly registry: string;
  private readonly host: string;
  private readonly opts: ClientOptions;
  private base: string | undefined;
  private readonly agent: Dispatcher;
  private readonly pool: InstanceType<typeof Agent>;
  private readonly tokens = new Map<string, CachedToken>();
  private basic: string | undefined;
  private credential: Promise<RegistryCredential | undefined> | undefined;

  constructor(registry: string, opts: ClientOptions = {}) {
    this.registry = registry;
    this.host = registryApiHost(registry);
    this.opts = opts;
    const insecure = opts.insecure || isLoopbackRegistry(registry);
    this.pool = new Agent({
      connect: { timeout: opts.connectTimeout ?? 10_000, rejectUnauthorized: !insecure },
      headersTimeout: opts.headersTimeout ?? 30_000,
      bodyTimeout: opts.bodyTimeout ?? 60_000,
      keepAliveTimeout: 10_000,
      pipelining: 1,
    });
    // Registries commonly redirect blob downloads to object storage.
    this.agent = this.pool.compose(redirect({ maxRedirections: 5 }));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private get insecure(): boolean {
    return !!this.opts.insecure || isLoopbackRegistry(this.registry);
  }

  /** HTTPS, except that an insecure registry may answer in plain HTTP (docker's rule). */
  private async baseUrl(): Promise<string> {
    if (this.base) return this.base;
    const https = `https://${this.host}`;
    if (!this.insecure) return (this.base = https);
    try {
      const r = await request(`${https}/v2/`, { dispatcher: this.pool, method: 'GET' });
      await r.body.dump();
      return (this.base = https);
    } catch (err) {
      // Only a TLS-level failure means "try plain HTTP"; a dead host stays dead.
      if (isConnectFailure(err)) throw this.networkError(err);
      return (this.base = `http://${this.host}`);
    }
  }

  private networkError(err: unknown): RegistryNetworkError {
    const e = err as NodeJS.ErrnoException;
    const code = e.code ?? '';
    const what =
      code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT'
        ? 'timed out'
        : // Node's messages already name the code ("connect ECONNREFUSED 127.0.0.1:5000").
          (code && e.message.includes(code) ? e.message : `${code} ${e.message}`)
            .replace(/\s+/g, ' ')
            .trim();
    return new RegistryNetworkError(`cannot reach registry ${this.registry}: ${what}`, {
      cause: err,
      errno: code || undefined,
      hint: 'check the registry address and that it is running; tsctr uses HTTPS except for insecure registries, localhost and 127.0.0.0/8',
    });
  }

  private async send(
    method: Method,
    path: string,
    headers: Record<string, string>,
    body?: RequestBody,
  ): Promise<RegistryResponse> {
    const url = /^https?:/.test(path) ? path : (await this.baseUrl()) + path;
    try {
      const r = await request(url, {
        method,
        headers,
        dispatcher: method === 'GET' || method === 'HEAD' ? this.agent : this.pool,
        ...(body ? { body: typeof body === 'function' ? body() : body } : {}),
      });
      return { status: r.statusCode, headers: r.headers, body: r.body };
    } catch (err) {
      throw this.networkError(err);
    }
  }

  private async getCredential(): Promise<RegistryCredential | undefined> {
    this.credential ??= this.opts.credentials?.() ?? Promise.resolve(undefined);
    return this.credential;
  }

  /**
   * A request with authentication: the cached Bearer token or Basic credentials first; on a 401
   * answer the challenge (Basic: the user's credentials; Bearer: a token for the challenge's
   * scope, or `scope` when it names none) and retry once. A 401 that asks for a wider scope
   * (`insufficient_scope`) gets a token for that scope.
   */
  async fetch(
    method: Method,
    path: string,
    headers: Record<string, string>,
    scope: string,
    body?: RequestBody,
  ): Promise<RegistryResponse> {
    const cached = this.tokens.get(scope);
    const auth: Record<string, string> =
      cached && cached.expiresAt > Date.now() + 5_000
        ? { authorization: `Bearer ${cached.token}` }
        : this.basic
          ? { authorization: this.basic }
          : {};
    let res = await this.send(method, path, { ...headers, ...auth }, body);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(header(res.headers, 'www-authenticate') ?? '');
    await res.body.dump();
    if (challenge?.scheme === 'basic') {
      const cred = await this.getCredential();
      // Refused although it carried the credentials: they are wrong. (A request sent before a
      // parallel one learnt that Basic is needed just retries with them.)
      if (!cred || (auth.authorization && auth.authorization === this.basic))
        throw this.unauthorized(!!cred);
      this.basic = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      res = await this.send(method, path, { ...headers, authorization: this.basic }, body);
    } else if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const token = await this.token(challenge.params, scope);
      res = await this.send(method, path, { ...headers, authorization: `Bearer ${token}` }, body);
    } else {
      throw this.unauthorized(false);
    }
    if (res.status === 401) {
      await res.body.dump();
      throw this.unauthorized(!!(await this.getCredential()));
    }
    return res;
  }

  private unauthorized(hadCredentials: boolean): RegistryHttpError {
    return new RegistryHttpError(
      hadCredentials
        ? `${this.registry}: unauthorized: incorrect username or password`
        : `${this.registry}: unauthorized: authentication required`,
      401,
      {},
      hadCredentials
        ? `log in again: tsctr login ${this.registry}`
        : `this registry needs credentials: tsctr login ${this.registry}`,
    );
  }

  private async token(params: Record<string, string>, fallbackScope: string): Promise<string> {
    const url = new URL(params.realm!);
    const scope = params.scope || fallbackScope;
    const cred = await this.getCredential();
    let res;
    try {
      if (cred?.identityToken) {
        // docker's OAuth2 refresh-token grant for identity tokens (docker login with SSO).
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: cred.identityToken,
          service: params.service ?? '',
          client_id: 'tsctr',
          scope,
        });
        res = await request(url, {
          method: 'POST',
          dispatcher: this.agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        });
      } else {
        if (params.service) url.searchParams.set('service', params.service);
        // login's check (GET /v2/) asks for a token with no scope at all, as docker does.
        for (const s of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', s);
        const headers: Record<string, string> = {};
        if (cred) {
          url.searchParams.set('account', cred.username);
          headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
        }
        res = await request(url, { method: 'GET', dispatcher: this.agent, headers });
      }
    } catch (err) {
      throw new RegistryNetworkError(
        `cannot reach the token server ${url.origin}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const text = await res.body.text();
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RegistryHttpError(
        `${this.registry}: ${cred ? 'unauthorized: incorrect username or password' : 'unauthorized: authentication required'}`,
        401,
        res.headers,
        cred
          ? `log in again: tsctr login ${this.registry}`
          : `this registry needs credentials: tsctr login ${this.registry}`,
      );
    }
    if (res.statusCode !== 200) {
      throw new RegistryHttpError(
        `token server ${url.origin} refused: HTTP ${res.statusCode} ${text.slice(0, 200)}`,
        res.statusCode,
        res.headers,
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
  async failure(res: RegistryResponse, what: string): Promise<RegistryHttpError> {
    const text = await res.body.text().catch(() => '');
    let detail = '';
    try {
      const e = (JSON.parse(text) as RegistryErrorBody).errors?.[0];
      if (e) detail = `${(e.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`;
    } catch {
      detail = text.trim().slice(0, 200);
    }
    if (res.status === 404) {
      return new RegistryHttpError(`${what} not found: ${detail || 'not found'}`, 404, res.headers);
    }
    if (res.status === 401 || res.status === 403) {
      return new RegistryHttpError(
        `${what}: access denied: ${detail || `HTTP ${res.status}`}`,
        res.status,
        res.headers,
        "the repository may not exist or may require 'tsctr login'",
      );
    }
    if (res.status === 429) {
      return new RegistryHttpError(
        `${what}: too many requests${detail ? `: ${detail}` : ''}${rateLimitText(res.headers)}`,
        429,
        res.headers,
        'the registry limits how often you may pull; wait, log in, or configure a mirror',
      );
    }
    return new RegistryHttpError(
      `${what}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`,
      res.status,
      res.headers,
    );
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
      throw await this.failure(res, `manifest for ${this.registry}/${repo}:${reference}`);
    const body = await readLimited(res.body, MAX_MANIFEST, `manifest for ${this.registry}/${repo}`);
    return {
      body,
      contentType: header(res.headers, 'content-type'),
      digestHeader: header(res.headers, 'docker-content-digest'),
    };
  }

  /**
   * GETs a blob from byte `offset` on. Resolves with the body and the offset it really starts
   * at: 0 when the registry ignored the Range header (it may).
   */
  async getBlob(
    repo: string,
    digest: string,
    offset = 0,
  ): Promise<{ body: RegistryResponse['body']; start: number; length: number | undefined }> {
    const res = await this.fetch(
      'GET',
      `/v2/${repo}/blobs/${digest}`,
      offset > 0 ? { range: `bytes=${offset}-` } : {},
      `repository:${repo}:pull`,
    );
    if (res.status === 206) {
      const m = /^bytes (\d+)-/.exec(header(res.headers, 'content-range') ?? '');
      const start = m ? Number(m[1]) : NaN;
      if (start !== offset) {
        await res.body.dump();
        throw new RegistryHttpError(
          `blob ${digest}: the registry answered a range request with the wrong range`,
          206,
          res.headers,
        );
      }
      return { body: res.body, start, length: contentLength(res.headers) };
    }
    if (res.status !== 200)
      throw await this.failure(res, `blob ${digest} of ${this.registry}/${repo}`);
    return { body: res.body, start: 0, length: contentLength(res.headers) };
  }

  /** The repository's tags (`GET /v2/<repo>/tags/list`, following `Link: <…>; rel="next"`). */
  async listTags(repo: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list`;
    for (let page = 0; path && page < 100; page++) {
      const res = await this.fetch('GET', path, {}, `repository:${repo}:pull`);
      if (res.status !== 200) throw await this.failure(res, `tags of ${this.registry}/${repo}`);
      const body = JSON.parse(
        (await readLimited(res.body, MAX_MANIFEST, `tags of ${repo}`)).toString('utf8'),
      ) as { tags?: unknown };
      if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t) => typeof t === 'string'));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res.headers, 'link') ?? '');
      path = next?.[1];
    }
    return tags;
  }

  /** `GET /v2/`, authenticated: what `login` checks. */
  async ping(): Promise<void> {
    const res = await this.fetch('GET', '/v2/', {}, '');
    if (res.status !== 200) throw await this.failure(res, this.registry);
    await res.body.dump();
  }
}

function contentLength(headers: Record<string, string | string[] | undefined>) {
  const v = header(headers, 'content-length');
  return v === undefined ? undefined : Number(v);
}

/** Docker Hub's rate-limit headers, for the error that ends a pull on 429. */
export function rateLimitText(headers: Record<string, string | string[] | undefined>): string {
  const limit = header(headers, 'ratelimit-limit');
  const remaining = header(headers, 'ratelimit-remaining');
  const retry = header(headers, 'retry-after');
  const parts = [
    limit ? `limit ${limit}` : '',
    remaining ? `remaining ${remaining}` : '',
    retry ? `retry after ${retry}` : '',
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function isConnectFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT/.test(
    code,
  );
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
