// Commands on an instance run as root: directly when we log in as root, else through passwordless sudo.
import { shellCommand, type RemoteShell } from '../ssh/index.js';

/**
 * The command line for argv run as root. `sudo -n` fails at once instead of waiting for a password
 * prompt nobody will answer (BBR uses plain `sudo`, which hangs when sudo is not passwordless).
 */
export function asRoot(shell: Pick<RemoteShell, 'needsSudo'>, argv: readonly string[]): string {
  return shellCommand(shell.needsSudo ? ['sudo', '-n', ...argv] : argv);
}

/** A small shell program run as root, its text passed as one quoted argument. */
export function asRootShell(shell: Pick<RemoteShell, 'needsSudo'>, program: string, args: readonly string[] = []): string {
  return asRoot(shell, ['sh', '-c', program, 'sh', ...args]);
}
