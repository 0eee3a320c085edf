// Reads the operator's private key and known_hosts once per run, with errors that say what to fix.
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import { CredentialsError } from '../errors.js';
import { parseKnownHosts, type KnownHosts } from './known-hosts.js';

export interface SshCredentials {
  username: string;
  privateKey: Buffer;
  privateKeyPath: string;
  knownHosts: KnownHosts | null;
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
