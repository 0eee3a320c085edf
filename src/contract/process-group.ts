// Runs a long remote command (a job script) in its own process group and records the group id on the
// instance, so that cancelling or timing it out kills the whole group as root over a second channel:
// `sleep 600` in a script must not outlive bbr-ts's decision to stop it.
import { randomUUID } from 'node:crypto';
import type { RemoteShell } from '../ssh/index.js';
import { asRoot, asRootShell } from './as-root.js';

export const PGID_DIR = '/var/vcap/sys/run/bbr-ts';

// $1 is the pgid file, the rest is the command. Runs under `setsid -w`, so $$ is the new group's id. The file
// is removed when the command ends normally; the exit status is passed through.
const WRAPPER = '{ mkdir -p "${1%/*}" && echo $$ >"$1"; } 2>/dev/null; f=$1; shift; "$@"; s=$?; rm -f "$f"; exit $s';
// $1 is the pgid file, $2 the signal name. Nothing to do when the file is gone (the command already ended).
const KILL_GROUP = 'pg=$(cat "$1" 2>/dev/null) || exit 0; case "$pg" in ""|*[!0-9]*) exit 0;; esac; kill -s "$2" -- "-$pg" 2>/dev/null; [ "$2" = KILL ] && rm -f "$1"; exit 0';

export interface GroupCommand {
  /** The command line to exec (argv quoted, run as root). */
  command: string;
  /** Signals every process of the command's group; safe to call when it has already ended. */
  stop: (signal: 'TERM' | 'KILL') => Promise<void>;
  /** Removes the pgid file left behind when the group was killed. */
  forget: () => Promise<void>;
}

export function groupCommand(shell: RemoteShell, argv: readonly string[]): GroupCommand {
  const pgidFile = `${PGID_DIR}/${randomUUID()}.pgid`;
  const control = (program: string, args: string[]) =>
    shell
      .exec(asRootShell(shell, program, args), { bypassChannelLimit: true, timeoutMs: 30_000 })
      .then(() => undefined);
  return {
    command: asRoot(shell, ['setsid', '-w', 'sh', '-c', WRAPPER, 'bbr-ts-run', pgidFile, ...argv]),
    stop: (signal) => control(KILL_GROUP, [pgidFile, signal]),
    forget: () => control('rm -f "$1"', [pgidFile]),
  };
}
