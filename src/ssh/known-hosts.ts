// OpenSSH known_hosts parsing and matching (plain, wildcard, negated and hashed host patterns,
// @revoked markers). bbr-ts checks host keys in every mode; BBR ignores them in director mode.
import { createHmac } from 'node:crypto';

export interface KnownHostKey {
  keyType: string;
  /** The raw public key blob, as ssh2 hands it to hostVerifier. */
  key: Buffer;
  revoked: boolean;
  line: number;
}

interface KnownHostLine extends KnownHostKey {
  patterns: string[];
}

export interface KnownHosts {
  file: string;
  /** Keys recorded for this host and port (revoked ones included, flagged). */
  keysFor(host: string, port: number): KnownHostKey[];
}

export function parseKnownHosts(text: string, file: string): KnownHosts {
  const lines: KnownHostLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      // A CA line vouches for certificates, which bbr-ts does not use; skip it rather than trust it as a key.
      if (marker === '@cert-authority') return;
      revoked = marker === '@revoked';
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) return;
    lines.push({ patterns: hosts.split(','), keyType, key: Buffer.from(keyBase64, 'base64'), revoked, line: i + 1 });
  });
  return {
    file,
    keysFor(host, port) {
      const name = port === 22 ? host : `[${host}]:${port}`;
      return lines.filter((l) => hostMatches(l.patterns, name));
    },
  };
}

function hostMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (patternMatches(body, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  const regex = new RegExp(
    `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(name);
}

/** The SSH algorithm names a recorded key type can be negotiated as (an RSA key signs with SHA-2 too). */
export function hostKeyAlgorithmsFor(keyTypes: readonly string[]): string[] {
  const algorithms = new Set<string>();
  for (const type of keyTypes) {
    if (type === 'ssh-rsa') ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => algorithms.add(a));
    else algorithms.add(type);
  }
  return [...algorithms];
}
