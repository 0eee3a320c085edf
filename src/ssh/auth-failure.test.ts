// A refused login is told apart by the field ssh2 sets, proved against ssh2's own server (no root, no sshd).
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError } from '../errors.js';
import { isAuthFailure } from './auth-failure.js';
import { connect } from './connection.js';

const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
let server: ssh2.Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    connections++;
    client.on('authentication', (ctx) => ctx.reject(['publickey']));
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('isAuthFailure', () => {
  it('recognises a refused key by ssh2 level, tries once, and points at the username and key', async () => {
    connections = 0;
    const failure = await connect({
      instance: 'db/0',
      host: '127.0.0.1',
      port,
      credentials: { username: 'vcap', privateKey: Buffer.from(clientKey.private), privateKeyPath: '/keys/id', knownHosts: null },
      connectTimeoutMs: 10_000,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConnectionError);
    expect(isAuthFailure((failure as ConnectionError).cause)).toBe(true);
    expect((failure as ConnectionError).hint).toMatch(/--username vcap and the key \/keys\/id are accepted/);
    expect(connections).toBe(1);
  });

  it('does not take words for the fact: the same message without the level is not a refused login', () => {
    expect(isAuthFailure(new Error('All configured authentication methods failed'))).toBe(false);
    expect(isAuthFailure(Object.assign(new Error('connect ECONNREFUSED'), { level: 'client-socket' }))).toBe(false);
  });
});
