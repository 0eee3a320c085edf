// One HTTPS request to the director or its UAA, bounded in time and size. Like the bosh-cli, bbr-ts always speaks
// HTTPS and opens a new connection per request (no keep-alive). Through a gateway, the TCP stream is an SSH
// direct-tcpip channel and TLS runs on top of it, so the certificate is still checked end to end.
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { isIP } from 'node:net';
import { BbrError } from '../errors.js';

export interface HttpEndpoint {
  host: string;
  port: number;
  /** PEM CA bundle; the system roots when absent. */
  ca?: string;
  /** Opens the TCP stream some other way (a jumpbox); direct when absent. */
  dial?: (host: string, port: number, signal?: AbortSignal) => Promise<NodeJS.ReadWriteStream>;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/deployments/d/vms?format=full`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** The whole request, connect to last byte. */
  timeoutMs: number;
  /** Bodies larger than this are refused (instance listings of big deployments stay far below). */
  maxBytes: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A transport failure (no answer at all), as opposed to an HTTP status the caller must judge. */
export class TransportError extends Error {}

export function httpsRequest(endpoint: HttpEndpoint, request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      // Our own errors (the gateway refusing the key, its host key) are final and already say what to do.
      reject(error instanceof TransportError || error instanceof BbrError ? error : new TransportError(error.message, { cause: error }));
    };
    const servername = isIP(endpoint.host) === 0 ? endpoint.host : undefined;
    const req = https.request({
      host: endpoint.host,
      port: endpoint.port,
      method: request.method,
      path: request.path,
      headers: { Connection: 'close', ...request.headers, ...(request.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(request.body) }) },
      ca: endpoint.ca,
      servername,
      // With no agent and a createConnection, node uses that connection directly (agent: false would build an
      // agent that ignores it).
      ...(endpoint.dial ? { createConnection: tunnelled(endpoint, servername, request.signal) } : { agent: false }),
    });
    const timer = setTimeout(() => fail(new TransportError(`no complete answer within ${Math.round(request.timeoutMs / 1000)} s`)), request.timeoutMs);
    const onAbort = () => fail(new TransportError('interrupted', { cause: request.signal?.reason }));
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > request.maxBytes) return fail(new TransportError(`answer larger than ${request.maxBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(request.body);
  });
}

/** TLS over a stream the gateway opened, verified against the same CA and host name as a direct connection. */
function tunnelled(endpoint: HttpEndpoint, servername: string | undefined, signal: AbortSignal | undefined) {
  return (_options: unknown, done: (error: Error | null, socket: Duplex) => void): undefined => {
    endpoint.dial!(endpoint.host, endpoint.port, signal).then(
      (stream) => done(null, tls.connect({ socket: stream as Duplex, host: endpoint.host, servername, ca: endpoint.ca })),
      (error: Error) => done(error, undefined as never),
    );
    return undefined;
  };
}
