// Decides whether the host key an instance presents is the one known_hosts records, and says why not:
// unknown, changed or revoked, with the fingerprint and the command that records it.
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { HostKeyError } from '../errors.js';
import type { KnownHostKey } from './known-hosts.js';

export interface HostKeyTarget {
  instance: string;
  host: string;
  port: number;
}

export function checkHostKey(
  key: Buffer,
  known: readonly KnownHostKey[],
  options: HostKeyTarget,
  file: string,
): HostKeyError | undefined {
  const presented = ssh2.utils.parseKey(key);
  const type = presented instanceof Error ? 'unknown' : presented.type;
  const fingerprint = `SHA256:${createFingerprint(key)}`;
  const where = `${options.instance} at ${options.host}:${options.port}`;
  const match = known.find((k) => k.key.equals(key));
  if (match?.revoked) {
    return new HostKeyError(`host key of ${where} (${type} ${fingerprint}) is marked @revoked in ${file}:${match.line}`, {
      hint: 'do not connect: find out why the key was revoked before running bbr-ts against this instance',
    });
  }
  if (match) return undefined;
  const nameInFile = options.port === 22 ? options.host : `[${options.host}]:${options.port}`;
  if (known.length === 0) {
    return new HostKeyError(`host key of ${where} is unknown: ${nameInFile} is not in ${file} (it offered ${type} ${fingerprint})`, {
      hint: `verify the fingerprint out of band, then add it: ssh-keyscan -p ${options.port} ${options.host} >> ${file}`,
    });
  }
  return new HostKeyError(
    `host key of ${where} has CHANGED: it offered ${type} ${fingerprint}, which differs from ${file}:${known[0]!.line}`,
    { hint: 'someone may be intercepting the connection, or the VM was recreated; verify, then update the known_hosts entry' },
  );
}

function createFingerprint(key: Buffer): string {
  // OpenSSH prints unpadded base64 of the SHA-256 of the key blob.
  return createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The presented key must be the one the director reported for this instance, byte for byte. */
export function checkPinnedHostKey(key: Buffer, pinned: { type: string; blob: Buffer }, options: HostKeyTarget): HostKeyError | undefined {
  if (key.equals(pinned.blob)) return undefined;
  const presented = ssh2.utils.parseKey(key);
  const type = presented instanceof Error ? 'unknown' : presented.type;
  return new HostKeyError(
    `host key of ${options.instance} at ${options.host}:${options.port} differs from the one the BOSH director reported: ` +
      `it offered ${type} SHA256:${createFingerprint(key)}, the director reported ${pinned.type} SHA256:${createFingerprint(pinned.blob)}`,
    { hint: 'someone may be intercepting the connection, or the address now belongs to another VM; check the instance with `bosh -d DEPLOYMENT instances` before trying again' },
  );
}
