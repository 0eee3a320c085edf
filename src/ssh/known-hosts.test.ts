import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hostKeyAlgorithmsFor, parseKnownHosts } from './known-hosts.js';

const KEY_A = Buffer.from('key-a').toString('base64');
const KEY_B = Buffer.from('key-b').toString('base64');

describe('parseKnownHosts', () => {
  it('matches plain hosts on port 22 and bracketed hosts on other ports', () => {
    const kh = parseKnownHosts(`10.0.0.5 ssh-ed25519 ${KEY_A}\n[10.0.0.5]:2222 ssh-ed25519 ${KEY_B}\n`, 'kh');
    expect(kh.keysFor('10.0.0.5', 22).map((k) => k.key.toString())).toEqual(['key-a']);
    expect(kh.keysFor('10.0.0.5', 2222).map((k) => k.key.toString())).toEqual(['key-b']);
    expect(kh.keysFor('10.0.0.6', 22)).toEqual([]);
  });

  it('matches hashed host names', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const hash = createHmac('sha1', salt).update('[127.0.0.21]:2222').digest('base64');
    const kh = parseKnownHosts(`|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${KEY_A}`, 'kh');
    expect(kh.keysFor('127.0.0.21', 2222)).toHaveLength(1);
    expect(kh.keysFor('127.0.0.22', 2222)).toHaveLength(0);
  });

  it('honours wildcards, negation, comments and markers', () => {
    const kh = parseKnownHosts(
      [
        '# a comment',
        `10.0.0.*,!10.0.0.9 ssh-rsa ${KEY_A}`,
        `@revoked 10.0.0.7 ssh-ed25519 ${KEY_B}`,
        `@cert-authority *.example ssh-ed25519 ${KEY_B}`,
      ].join('\n'),
      'kh',
    );
    expect(kh.keysFor('10.0.0.3', 22)).toHaveLength(1);
    expect(kh.keysFor('10.0.0.9', 22)).toHaveLength(0);
    const seven = kh.keysFor('10.0.0.7', 22);
    expect(seven.map((k) => k.revoked)).toEqual([false, true]);
    expect(kh.keysFor('a.example', 22)).toHaveLength(0);
  });
});

describe('hostKeyAlgorithmsFor', () => {
  it('lets an RSA key be negotiated with SHA-2 signatures', () => {
    expect(hostKeyAlgorithmsFor(['ssh-rsa', 'ssh-ed25519'])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });
});
