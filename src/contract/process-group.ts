// Runs a long remote command (a job script, a tar) in its own process group, marked by an exported
// `<id>:<pgid>`, so that cancelling or timing it out kills the whole group as root over a second channel:
// `sleep 600` in a script must not outlive bbr-ts's decision to stop it.
//
// Every process a command spawns costs an sshd-sized slice of a fan-out wave (100 instances may share a few
// cores in a test fleet), so the wrapper is one `sh` that exports and execs: no pgid file, no `env`, no `rm`.
// The group is found only when it must be stopped, from its processes' environment.
import { randomUUID } from 'node:crypto';
import { quoteShellArg, type RemoteShell } from '../ssh/index.js';
import { asRoot, asRootShell } from './as-root.js';

/** Exported into every command bbr-ts runs in a group; `stop` finds the group by it. */
export const COMMAND_ID_VARIABLE = 'BBR_TS_COMMAND_ID';

// $1 is the signal name, $2 the command id. Every process the command started carries `<id>:<pgid>`; the
// group is read from the first one found and signalled once. A process that left the group on purpose (a daemon
// a restore script started with its own session) keeps the variable but is not in the group, so it is spared.
// Nothing found means nothing is left to stop.
const KILL_GROUP = [
  'sig=$1; id=$2',
  `pg=$(grep -hozE "^${COMMAND_ID_VARIABLE}=$id:[0-9]+\$" /proc/[0-9]*/environ 2>/dev/null | tr '\\000' '\\n' | head -n 1)`,
  'pg=${pg##*:}',
  'case "$pg" in ""|*[!0-9]*) exit 0;; esac',
  'kill -s "$sig" -- "-$pg" 2>/dev/null',
  'exit 0',
].join('\n');

export interface GroupCommandOptions {
  /** Exported for the command (the script contract's BBR_* variables). */
  env?: Readonly<Record<string, string>>;
  /** Created (`mkdir -p`) right before the command, in the same remote process: one channel, not two. */
  createDirectory?: string;
}

export interface GroupCommand {
  /** The command line to exec (run as root). */
  command: string;
  /** Signals every process of the command's group; safe to call when it has already ended. */
  stop: (signal: 'TERM' | 'KILL') => Promise<void>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The `sh -c` program: export the id and the environment, create the directory, then become the command. */
export function wrapperProgram(options: GroupCommandOptions = {}): string {
  const exports = Object.entries(options.env ?? {}).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name: ${name}`);
    return `export ${name}=${quoteShellArg(value)}`;
  });
  const mkdir = options.createDirectory === undefined ? [] : [`mkdir -p -- ${quoteShellArg(options.createDirectory)} || exit`];
  // Under `setsid`, this shell's pid is the new group's id, and it stays the group's id after the exec.
  return [`export ${COMMAND_ID_VARIABLE}="$1:$$"`, ...exports, ...mkdir, 'shift', 'exec "$@"'].join('\n');
}

export function groupCommand(shell: RemoteShell, argv: readonly string[], options: GroupCommandOptions = {}): GroupCommand {
  const id = randomUUID();
  return {
    // `setsid -w` starts a new process group led by the `sh` (which then execs the command) and passes its
    // exit status through.
    command: asRoot(shell, ['setsid', '-w', 'sh', '-c', wrapperProgram(options), 'bbr-ts-run', id, ...argv]),
    stop: (signal) =>
      shell
        .exec(asRootShell(shell, KILL_GROUP, [signal, id]), { bypassChannelLimit: true, timeoutMs: 30_000 })
        .then(() => undefined),
  };
}
