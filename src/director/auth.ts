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

export function uaaAuth(uaa: HttpEndpoint & { basePath: string }, credentials: ClientCredentials, options: { timeoutMs: number; now?: () => number }): Authenticator {
  const now = options.now ?? Date.now;
  let token: { header: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const fetchToken = async (signal: AbortSignal | undefined): Promise<string> => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
    let response;
    try {
      response = await httpsRequest(uaa, {
        method: 'POST',
        path: `${uaa.basePath}/oauth/token`,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${encodeURIComponent(credentials.client)}:${encodeURIComponent(credentials.secret)}`).toString('base64')}`,
        },
        body,
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
    if (response.status !== 200) {
      throw new DirectorError(`UAA refused a token for client '${credentials.client}': status ${response.status} ${excerpt(response.body)}`, {
        hint: 'check --username/--password (BOSH_CLIENT/BOSH_CLIENT_SECRET): with a UAA director they are a UAA client id and secret with bosh.admin',
      });
    }
    let parsed: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(response.body) as typeof parsed;
    } catch {
      throw new DirectorError(`UAA answered a token request with something that is not JSON: ${excerpt(response.body)}`);
    }
    if (typeof parsed.access_token !== 'string' || typeof parsed.token_type !== 'string' || parsed.access_token === '') {
      throw new DirectorError('UAA answered a token request without access_token and token_type');
    }
    const lifetimeMs = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in * 1000 : Infinity;
    // The header is sent as UAA wrote it (`bearer <token>`), as the bosh-cli does.
    const header = `${parsed.token_type} ${parsed.access_token}`;
    token = { header, renewAt: now() + Math.max(0, lifetimeMs - RENEW_MARGIN_MS) };
    return header;
  };
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
