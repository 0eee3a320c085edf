import { describe, expect, it } from 'vitest';
import { parseAllProxy } from '../ssh/index.js';
import { parseTarget, readCaCert } from './run-deployment.js';

describe('parseTarget (--target / BOSH_ENVIRONMENT)', () => {
  it.each([
    ['10.0.0.6', '10.0.0.6', 25555],
    ['10.0.0.6:443', '10.0.0.6', 443],
    ['https://director.example:25555', 'director.example', 25555],
    // Only host and port count: the cli always speaks HTTPS, whatever the scheme says.
    ['http://10.0.0.6', '10.0.0.6', 25555],
    ['[fd00::6]:25555', 'fd00::6', 25555],
  ])('%s', (text, host, port) => {
    expect(parseTarget(text)).toEqual({ host, port });
  });

  it('refuses an empty target', () => {
    expect(() => parseTarget('')).toThrow(/is not a director address/);
  });
});

describe('readCaCert (--ca-cert, CA_CERT, BOSH_CA_CERT)', () => {
  it('takes a value containing BEGIN as the PEM itself', async () => {
    await expect(readCaCert('-----BEGIN CERTIFICATE-----\nMII...\n')).resolves.toMatch(/^-----BEGIN/);
  });

  it('reads anything else as a file, saying which one it could not read', async () => {
    await expect(readCaCert('/nonexistent/ca.pem')).rejects.toThrow(/cannot read the CA certificate \/nonexistent\/ca.pem/);
  });

  it('refuses an empty value', async () => {
    await expect(readCaCert('')).rejects.toThrow(/is empty/);
  });
});

describe('parseAllProxy (BOSH_ALL_PROXY)', () => {
  it('reads the bosh-cli form; the user defaults to jumpbox', () => {
    expect(parseAllProxy('ssh+socks5://ops@10.0.0.5:2222?private-key=/keys/jb')).toEqual({ username: 'ops', host: '10.0.0.5', port: 2222, privateKeyPath: '/keys/jb' });
    expect(parseAllProxy('ssh+socks5://10.0.0.5:22?private-key=/keys/jb')).toMatchObject({ username: 'jumpbox', port: 22 });
  });

  it.each([
    ['ssh+socks5://10.0.0.5:22', /private-key/],
    ['socks5://10.0.0.5:1080', /only the ssh\+socks5/],
    ['ssh+http://10.0.0.5:22?private-key=/k', /only the ssh\+socks5/],
  ])('refuses %s', (value, problem) => {
    const parsed = parseAllProxy(value);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});
