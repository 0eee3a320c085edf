// The Authorization header for director requests, as GET /info announces it: HTTP Basic, or a UAA token
// (bosh-cli uaa/client_token_session.go). Unlike BBR, which only notices an expired token when the director
// answers 401, bbr-ts also renews a token shortly before its `expires_in` runs out; the 401 path stays as the
// backstop (a clock that drifts, a token revoked early).
import { DirectorError } from '../errors.js';
import { httpsRequest, TransportError, type HttpEndpoint } from './http.js';

export interface Authenticator {
  /** The header value; `renew` forces a new token (after a 401). */
  header(signal: AbortSignal | undefined, renew?: boolean): Promise<string>;
  readonly kind: 'basic' | 'uaa';
}

export interface ClientCredentials {
  /** --username / BOSH_CLIENT: the basic-auth user or the UAA client id. */
  client: string;
  /** --password / BOSH_CLIENT_SECRET */
  secret: string;
}

export function basicAuth(credentials: ClientCredentials): Authenticator {
  const header = `Basic ${Buffer.from(`${credentials.client}:${credentials.secret}`).toString('base64')}`;
  return { kind: 'basic', header: async () => header };
}

/** Renew this long before the token's announced expiry, so a request never leaves with a token about to expire. */
const RENEW_MARGIN_MS = 30_000;

/**
 * UAA tokens. BBR's `--username`/`--password` are a UAA client id and secret (client-credentials grant); bbr-ts
 * also accepts a UAA *user* (the password grant `bosh log-in` uses, as client `bosh_cli` with an empty secret)
 * when the client-credentials grant is refused. A password-grant token comes with a refresh token, which renews
 * it without sending the password again.
 */
export function uaaAuth(uaa: HttpEndpoint & { basePath: string }, credentials: ClientCredentials, options: { timeoutMs: number; now?: () => number }): Authenticator {
  const now = options.now ?? Date.now;
  let token: { header: string; renewAt: number } | undefined;
  let refreshToken: string | undefined;
  let grant: 'client_credentials' | 'password' | undefined;
  let pending: Promise<string> | undefined;

  const request = async (form: Record<string, string>, client: string, secret: string, signal: AbortSignal | undefined) => {
    try {
      return await httpsRequest(uaa, {
        method: 'POST',
        path: `${uaa.basePath}/oauth/token`,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${encodeURIComponent(client)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        },
        // In the body, never the query string (bosh-cli uaa/client_request.go).
        body: new URLSearchParams(form).toString(),
        signal,
        timeoutMs: options.timeoutMs,
        maxBytes: 1024 * 1024,
      });
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      throw new DirectorError(`the director's UAA at ${uaa.host}:${uaa.port} could not be reached: ${error.message}`, {
        hint: 'check that the UAA address the director announces is reachable from here (or through BOSH_ALL_PROXY)',
      });
    }
  };

  const accept = (body: string): string => {
    let parsed: { access_token?: unknown; token_type?: unknown; expires_in?: unknown; refresh_token?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw new DirectorError(`UAA answered a token request with something that is not JSON: ${excerpt(body)}`);
    }
    if (typeof parsed.access_token !== 'string' || typeof parsed.token_type !== 'string' || parsed.access_token === '') {
      throw new DirectorError('UAA answered a token request without access_token and token_type');
    }
    const lifetimeMs = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in * 1000 : Infinity;
    // The header is sent as UAA wrote it (`bearer <token>`), as the bosh-cli does.
    const header = `${parsed.token_type} ${parsed.access_token}`;
    token = { header, renewAt: now() + Math.max(0, lifetimeMs - RENEW_MARGIN_MS) };
    refreshToken = typeof parsed.refresh_token === 'string' && parsed.refresh_token !== '' ? parsed.refresh_token : undefined;
    return header;
  };

  const fetchToken = async (signal: AbortSignal | undefined): Promise<string> => {
    if (refreshToken) {
      const refreshed = await request({ grant_type: 'refresh_token', refresh_token: refreshToken }, 'bosh_cli', '', signal);
      if (refreshed.status === 200) return accept(refreshed.body);
      refreshToken = undefined; // expired or revoked: log in again below
    }
    if (grant !== 'password') {
      const response = await request({ grant_type: 'client_credentials' }, credentials.client, credentials.secret, signal);
      if (response.status === 200) {
        grant = 'client_credentials';
        return accept(response.body);
      }
      if (grant === 'client_credentials' || response.status !== 401) throw refused(response.status, response.body, 'client');
    }
    const response = await request({ grant_type: 'password', username: credentials.client, password: credentials.secret }, 'bosh_cli', '', signal);
    if (response.status === 200) {
      grant = 'password';
      return accept(response.body);
    }
    throw refused(response.status, response.body, grant === 'password' ? 'user' : 'client or user');
  };

  const refused = (status: number, body: string, as: string) =>
    new DirectorError(`UAA refused a token for ${as} '${credentials.client}': status ${status} ${excerpt(body)}`, {
      hint: 'check --username/--password (BOSH_CLIENT/BOSH_CLIENT_SECRET): with a UAA director they are a UAA client id and secret with bosh.admin (or a UAA user, as for `bosh log-in`)',
    });

  return {
    kind: 'uaa',
    async header(signal, renew = false) {
      if (!renew && token && now() < token.renewAt) return token.header;
      // Requests running in parallel share one token request.
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

export function excerpt(body: string, max = 300): string {
  const text = body.trim();
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
