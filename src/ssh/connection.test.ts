// connect()'s retries against a port nobody listens on (a real TCP refusal on this machine, no sshd needed):
// one run signal serves every connection and command, so each attempt and each wait between attempts must take
// its abort listener off again (a leak stays for the whole run, and past ten Node warns on stderr).
import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../errors.js';
import { connect, type ConnectOptions } from './connection.js';
import { generateSessionKey } from './credentials.js';

/** A local port that refuses connections: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function connectRefused(privateKey: Buffer, signal: AbortSignal): Promise<unknown> {
  const options: ConnectOptions = {
    instance: 'web/0',
    host: '127.0.0.1',
    port: await closedPort(),
    credentials: { username: 'vcap', privateKey, privateKeyPath: '(test key)', knownHosts: null },
    connectTimeoutMs: 10_000,
    attempts: 3,
    signal,
  };
  return connect(options).catch((error: unknown) => error);
}

describe('connect', () => {
  it('retries a refused connection and leaves no abort listener on the signal', async () => {
    const controller = new AbortController();
    const failure = await connectRefused(Buffer.from(generateSessionKey().privateKey), controller.signal);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as Error).message).toMatch(/^cannot connect to web\/0 at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no abort listener when ssh2 refuses the attempt before connecting (a key it cannot parse)', async () => {
    const controller = new AbortController();
    const failure = await connectRefused(Buffer.from('not a key'), controller.signal);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as Error).message).toMatch(/Cannot parse privateKey/);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
