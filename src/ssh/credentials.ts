// Reads the operator's private key and known_hosts once per run, with errors that say what to fix.
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import { CredentialsError } from '../errors.js';
import { parseKnownHosts, type KnownHosts } from './known-hosts.js';

export interface SshCredentials {
  username: string;
  privateKey: Buffer;
  /** Where the key came from, for messages (a generated key has a description instead of a path). */
  privateKeyPath: string;
  knownHosts: KnownHosts | null;
  /**
   * The one host key (authorized_keys line) this instance may present, as reported by the BOSH director.
   * Takes the place of known_hosts; nothing else is accepted.
   */
  pinnedHostKey?: string;
}

/** Credentials for a temporary user the director set up: an in-memory key and the host key it reported. */
export function pinnedCredentials(access: { username: string; privateKey: string; hostKey: string }): SshCredentials {
  return {
    username: access.username,
    privateKey: Buffer.from(access.privateKey),
    privateKeyPath: '(the key bbr-ts generated for this run)',
    knownHosts: null,
    pinnedHostKey: access.hostKey,
  };
}

/** A fresh RSA-2048 key pair, kept in memory, and its public half as an authorized_keys line (BBR's choice). */
export function generateSessionKey(): { privateKey: string; publicKey: string } {
  const pair = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 });
  const [type, blob] = pair.public.split(/\s+/);
  return { privateKey: pair.private, publicKey: `${type} ${blob}\n` };
}

/** Parses an authorized_keys line; undefined when it is not a public key. */
export function parsePublicKeyLine(line: string): { type: string; blob: Buffer } | undefined {
  const parsed = ssh2.utils.parseKey(line.trim());
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.isPrivateKey()) return undefined;
  return { type: parsed.type, blob: parsed.getPublicSSH() };
}

/** Reads the key and known_hosts once per run. `knownHostsPath: null` disables host-key checking. */
export async function loadCredentials(options: {
  username: string;
  privateKeyPath: string;
  knownHostsPath: string | null;
}): Promise<SshCredentials> {
  let privateKey: Buffer;
  try {
    privateKey = await readFile(options.privateKeyPath);
  } catch (error) {
    throw new CredentialsError(`cannot read private key ${options.privateKeyPath}: ${(error as Error).message}`, {
      hint: 'pass the path of an SSH private key file readable by this user with --private-key-path',
    });
  }
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    throw new CredentialsError(`cannot use private key ${options.privateKeyPath}: ${parsed.message}`, {
      hint: 'use an unencrypted OpenSSH or PEM private key (RSA, ECDSA or Ed25519)',
    });
  }
  let knownHosts: KnownHosts | null = null;
  if (options.knownHostsPath !== null) {
    let text: string;
    try {
      text = await readFile(options.knownHostsPath, 'utf8');
    } catch (error) {
      throw new CredentialsError(`cannot read known_hosts file ${options.knownHostsPath}: ${(error as Error).message}`, {
        hint: 'record the instances\' host keys (ssh-keyscan -p PORT HOST >> FILE) and pass the file with --known-hosts',
      });
    }
    knownHosts = parseKnownHosts(text, options.knownHostsPath);
  }
  return { ...options, privateKey, knownHosts };
}
