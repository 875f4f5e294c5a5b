/**
 * Registry authentication challenges (distribution's token spec). A 401 names the scheme in
 * WWW-Authenticate; for Bearer we fetch a token from the realm for the challenge's service and
 * scope and cache it until it expires (at least 60 s, as the spec sets the default).
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted or token values, commas in quotes). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/gy;
  const rest = m[2] ?? '';
  re.lastIndex = 0;
  let p;
  while ((p = re.exec(rest))) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    if (re.lastIndex >= rest.length) break;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

export interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Reads a token-server answer: `token` or `access_token`, `expires_in`, `issued_at`. */
export function tokenFromResponse(body: unknown, now = Date.now()): CachedToken | undefined {
  const b = body as {
    token?: unknown;
    access_token?: unknown;
    expires_in?: unknown;
    issued_at?: unknown;
  };
  const token = typeof b?.token === 'string' && b.token ? b.token : b?.access_token;
  if (typeof token !== 'string' || !token) return undefined;
  const expiresIn = typeof b.expires_in === 'number' && b.expires_in >= 60 ? b.expires_in : 60;
  const issued = typeof b.issued_at === 'string' ? Date.parse(b.issued_at) : NaN;
  const start = Number.isFinite(issued) ? Math.min(issued, now) : now;
  return { token, expiresAt: start + expiresIn * 1000 };
}
