// The director's API as bbr-ts uses it (bosh-director-api.md §2): /info, deployments, the manifest, the VM
// listing and the ssh setup/cleanup tasks. Follows bosh-cli's rules: statuses 200/201/204/206/302 accepted,
// one re-authentication after a 401, transport errors and 502-504 on GETs retried, redirects to tasks followed
// by path only. Unlike the cli, every request and every task has a time limit.
import { DirectorError } from '../errors.js';
import { basicAuth, excerpt, uaaAuth, type Authenticator, type ClientCredentials } from './auth.js';
import { httpsRequest, TransportError, type HttpEndpoint, type HttpResponse } from './http.js';

export interface DirectorOptions {
  endpoint: HttpEndpoint;
  credentials: ClientCredentials;
  /** One request, connect to last byte. */
  requestTimeoutMs: number;
  /** How long a director task may stay queued or processing. */
  taskTimeoutMs: number;
  /** Between task polls (the cli: 0.5 s). */
  pollIntervalMs: number;
}

const ACCEPTED = new Set([200, 201, 204, 206, 302, 303]);
const ATTEMPTS = 5;
const RETRY_DELAY_MS = 500;
const MAX_BYTES = 64 * 1024 * 1024;
const TERMINAL_FAILURES = new Set(['error', 'cancelled', 'timeout']);
const RUNNING = new Set(['queued', 'processing', 'cancelling']);

export interface SshTarget {
  job: string;
  ids?: string[];
}

export class DirectorClient {
  private readonly options: DirectorOptions;
  private readonly auth: Authenticator;
  readonly where: string;

  private constructor(options: DirectorOptions, auth: Authenticator, where: string) {
    this.options = options;
    this.auth = auth;
    this.where = where;
  }

  /** GET /info without credentials, then the authentication it announces (§1.2). */
  static async connect(options: DirectorOptions, signal?: AbortSignal): Promise<DirectorClient> {
    const where = `${options.endpoint.host}:${options.endpoint.port}`;
    let response: HttpResponse;
    try {
      response = await withRetries(() => httpsRequest(options.endpoint, { method: 'GET', path: '/info', signal, timeoutMs: options.requestTimeoutMs, maxBytes: MAX_BYTES }), signal, 'GET');
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      throw new DirectorError(`BOSH director unreachable at https://${where}: ${error.message}`, {
        hint: 'check --target (BOSH_ENVIRONMENT) and --ca-cert, that the director is up, and that it is reachable from here (or set BOSH_ALL_PROXY for a jumpbox)',
      });
    }
    if (response.status !== 200) {
      throw new DirectorError(`BOSH director at https://${where} is unhealthy: GET /info answered ${response.status} ${excerpt(response.body)}`, {
        hint: 'check the director with `bosh env`',
      });
    }
    let info: { user_authentication?: { type?: unknown; options?: { url?: unknown } } };
    try {
      info = JSON.parse(response.body) as typeof info;
    } catch {
      throw new DirectorError(`https://${where}/info did not answer JSON: is --target a BOSH director?`, { hint: 'point --target at the director (port 25555 by default)' });
    }
    const type = info.user_authentication?.type;
    if (type !== 'uaa') return new DirectorClient(options, basicAuth(options.credentials), where);
    const url = info.user_authentication?.options?.url;
    let parsed: URL | undefined;
    try {
      parsed = typeof url === 'string' && url !== '' ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed) throw new DirectorError(`the director at ${where} announces UAA but no usable UAA URL (${JSON.stringify(url)})`, { hint: 'check the director\'s uaa.url property' });
    // Like the cli: always HTTPS, port 443 by default, the director's CA and gateway, the URL's path kept.
    const uaa = {
      ...options.endpoint,
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port === '' ? 443 : Number(parsed.port),
      basePath: parsed.pathname.replace(/\/+$/, ''),
    };
    return new DirectorClient(options, uaaAuth(uaa, options.credentials, { timeoutMs: options.requestTimeoutMs }), where);
  }

  get authKind(): 'basic' | 'uaa' {
    return this.auth.kind;
  }

  async deployments(signal?: AbortSignal): Promise<string[]> {
    const response = await this.call('GET', '/deployments', { signal });
    const list = parseJson(response.body, 'GET /deployments') as unknown;
    if (!Array.isArray(list)) throw new DirectorError('GET /deployments did not answer a list');
    return list.map((d: { name?: unknown }) => d?.name).filter((n): n is string => typeof n === 'string');
  }

  /** The deployment's manifest text (GET /deployments/D); null when the director holds none. */
  async manifest(deployment: string, signal?: AbortSignal): Promise<string | null> {
    const response = await this.call('GET', `/deployments/${encodeURIComponent(deployment)}`, { signal, deployment });
    const body = parseJson(response.body, `GET /deployments/${deployment}`) as { manifest?: unknown };
    return typeof body?.manifest === 'string' ? body.manifest : null;
  }

  /** The VM listing task's NDJSON result (GET /deployments/D/vms?format=full). */
  vms(deployment: string, signal?: AbortSignal): Promise<string> {
    return this.task('GET', `/deployments/${encodeURIComponent(deployment)}/vms?format=full`, { signal, deployment });
  }

  /** `ssh setup` for one instance group (§2.7): installs `user` with `publicKey` on each instance. */
  sshSetup(deployment: string, job: string, user: string, publicKey: string, signal?: AbortSignal): Promise<string> {
    return this.task('POST', `/deployments/${encodeURIComponent(deployment)}/ssh`, {
      signal,
      deployment,
      body: { deployment_name: deployment, target: { job, indexes: [], ids: [] }, command: 'setup', params: { user, public_key: publicKey } },
    });
  }

  /** `ssh cleanup` of exactly `user` on every instance of a group; waits for the task (the cli does not). */
  async sshCleanup(deployment: string, job: string, user: string, signal?: AbortSignal): Promise<void> {
    await this.task('POST', `/deployments/${encodeURIComponent(deployment)}/ssh`, {
      signal,
      deployment,
      body: { deployment_name: deployment, target: { job, indexes: [], ids: [] }, command: 'cleanup', params: { user_regex: `^${user}$` } },
    });
  }

  /** Starts a task (the director answers 302 to /tasks/N), waits for it, returns its result output. */
  private async task(method: 'GET' | 'POST', path: string, options: { signal?: AbortSignal; deployment?: string; body?: unknown }): Promise<string> {
    const started = await this.call(method, path, options);
    if (started.status !== 302 && started.status !== 303) {
      throw new DirectorError(`${method} ${path} answered ${started.status} where the director starts a task`, { hint: 'is --target a BOSH director?' });
    }
    const location = started.headers.location ?? '';
    // Only the path counts: the cli sends the redirected request to the configured director whatever the host.
    const match = /^(?:https?:\/\/[^/]+)?\/tasks\/(\d+)$/.exec(location);
    if (!match) throw new DirectorError(`${method} ${path} redirected to ${JSON.stringify(excerpt(location, 100))}, not to a task`);
    const id = match[1]!;
    const deadline = Date.now() + this.options.taskTimeoutMs;
    for (;;) {
      const polled = await this.call('GET', `/tasks/${id}`, { signal: options.signal });
      const state = (parseJson(polled.body, `GET /tasks/${id}`) as { state?: unknown })?.state;
      if (state === 'done') break;
      if (typeof state === 'string' && TERMINAL_FAILURES.has(state)) {
        const result = (parseJson(polled.body, `GET /tasks/${id}`) as { result?: unknown }).result;
        const why = typeof result === 'string' && result.trim() !== '' ? `: ${excerpt(result, 200)}` : '';
        throw new DirectorError(`director task ${id} (${method} ${path}) ended in state '${state}'${why}`, {
          hint: `see what went wrong with \`bosh task ${id} --debug\``,
        });
      }
      if (typeof state !== 'string' || !RUNNING.has(state)) throw new DirectorError(`director task ${id} is in an unknown state ${JSON.stringify(state)}`);
      if (Date.now() > deadline) {
        throw new DirectorError(`director task ${id} (${method} ${path}) is still '${state}' after ${Math.round(this.options.taskTimeoutMs / 1000)} s`, {
          hint: `see what it waits for with \`bosh task ${id}\`; bbr-ts stopped waiting`,
        });
      }
      await sleep(this.options.pollIntervalMs, options.signal);
    }
    return (await this.call('GET', `/tasks/${id}/output?type=result`, { signal: options.signal })).body;
  }

  /** One authenticated request: retried on transport errors, re-authenticated once after a 401. */
  private async call(method: 'GET' | 'POST', path: string, options: { signal?: AbortSignal; deployment?: string; body?: unknown }): Promise<HttpResponse> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const send = async (renew: boolean) => {
      const authorization = await this.auth.header(options.signal, renew);
      return withRetries(
        () =>
          httpsRequest(this.options.endpoint, {
            method,
            path,
            headers: { Authorization: authorization, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
            body,
            signal: options.signal,
            timeoutMs: this.options.requestTimeoutMs,
            maxBytes: MAX_BYTES,
          }),
        options.signal,
        method,
      );
    };
    let response: HttpResponse;
    try {
      response = await send(false);
      if (response.status === 401) response = await send(true);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      throw new DirectorError(`BOSH director at https://${this.where} did not answer ${method} ${path}: ${error.message}`, {
        cause: error,
        hint: 'check that the director is up and reachable from here; then run the command again',
      });
    }
    if (ACCEPTED.has(response.status)) return response;
    throw this.refusal(method, path, response, options.deployment);
  }

  private refusal(method: string, path: string, response: HttpResponse, deployment: string | undefined): DirectorError {
    const { status } = response;
    let code: unknown;
    let description: unknown;
    try {
      ({ code, description } = JSON.parse(response.body) as { code?: unknown; description?: unknown });
    } catch {
      // plain-text bodies (401, unknown routes)
    }
    if (status === 404 && code === 70000 && deployment !== undefined) {
      return new DirectorError(`deployment '${deployment}' does not exist on the director at ${this.where}`, {
        hint: 'check --deployment (BOSH_DEPLOYMENT); `bosh deployments` lists the ones there are',
      });
    }
    if (status === 401) {
      return new DirectorError(`the director at ${this.where} refused the credentials of '${this.options.credentials.client}' (401 on ${method} ${path}${typeof description === 'string' ? `: ${excerpt(description, 200)}` : ''})`, {
        hint: this.auth.kind === 'uaa'
          ? 'check --username/--password (BOSH_CLIENT/BOSH_CLIENT_SECRET): a UAA client with bosh.admin (or admin on this deployment)'
          : 'check --username/--password (BOSH_CLIENT/BOSH_CLIENT_SECRET)',
      });
    }
    const text = typeof description === 'string' ? description : response.body;
    return new DirectorError(`the director at ${this.where} answered ${status} to ${method} ${path}: ${excerpt(text)}`, {
      hint: 'check the director with `bosh env` and `bosh tasks --recent`',
    });
  }
}

async function withRetries(send: () => Promise<HttpResponse>, signal: AbortSignal | undefined, method: string): Promise<HttpResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await send();
      // A GET answered 502-504 is retried; a POST is not (it may have started something).
      if (method === 'GET' && response.status >= 502 && response.status <= 504 && attempt < ATTEMPTS) {
        await sleep(RETRY_DELAY_MS, signal);
        continue;
      }
      return response;
    } catch (error) {
      if (!(error instanceof TransportError) || attempt >= ATTEMPTS || signal?.aborted) throw error;
      await sleep(RETRY_DELAY_MS, signal);
    }
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DirectorError(`${what} did not answer JSON: ${excerpt(text, 200)}`);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
