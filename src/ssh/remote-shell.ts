// What the rest of bbr-ts needs from an instance: run a command line, optionally streaming stdin/stdout.
// Workflows and the script contract depend on this interface, never on ssh2.
import type { Readable, Writable } from 'node:stream';

export interface ExecOptions {
  /**
   * Aborting stops the remote command: through `stop` when given (TERM, then KILL after a grace period),
   * else by closing the channel (the command then dies of SIGPIPE on its next write).
   */
  signal?: AbortSignal;
  /**
   * How to stop this command on abort or timeout. Needed because neither closing the channel nor the SSH
   * 'signal' request reliably reaches a command that writes nothing (ssh2 drops the request once stdin is
   * closed, and sshd would signal it as the login user, not as root behind sudo).
   */
  stop?: (signal: 'TERM' | 'KILL') => Promise<void>;
  /** Run outside the per-connection channel limit: for short control commands (such as `stop`) that must not queue behind what they stop. */
  bypassChannelLimit?: boolean;
  /** Streamed to the command's stdin, then EOF. */
  stdin?: Readable;
  /** When given, stdout is piped here with backpressure instead of being captured. */
  stdout?: Writable;
  /**
   * Every command is bounded. Left out, the connection's command timeout applies (housekeeping: find, du, mkdir,
   * rm). A number is this command's own limit; `null` means no overall limit: a job script without
   * --script-timeout (BBR has none), or a transfer, which `transfer` bounds instead.
   */
  timeoutMs?: number | null;
  /**
   * A data transfer that may rightly run for hours: instead of the command timeout, it is stopped when no byte
   * moved (stdin, stdout or stderr) for the connection's stall timeout.
   */
  transfer?: boolean;
  /** Called with each stderr chunk as it arrives (for debug logs). */
  onStderr?: (chunk: Buffer) => void;
  /** Called with each stdout chunk when stdout is captured (for debug logs). */
  onStdout?: (chunk: Buffer) => void;
}

export interface ExecResult {
  /** null when the command ended without an exit status (killed by a signal, or the connection dropped). */
  exitCode: number | null;
  signal: string | null;
  /** Captured stdout (only when no `stdout` stream was given), capped to keep memory bounded. */
  stdout: string;
  /** The capture cap cut stdout short: text parsed from `stdout` would be wrong, so callers that parse it must refuse. */
  stdoutTruncated: boolean;
  /** The last part of stderr, capped. */
  stderrTail: string;
  /** The last part of stdout, capped; empty when stdout was streamed to `stdout`. */
  stdoutTail: string;
  timedOut: boolean;
  /** A transfer was stopped because no byte moved for the stall timeout. */
  stalled: boolean;
  cancelled: boolean;
  /**
   * The command exited but something it started (a daemon left in the background) kept its stdout or stderr
   * open; bbr-ts stopped waiting for that output. The exit status stands.
   */
  outputHeldOpen: boolean;
}

/** The bounds every command on a connection gets unless it asks for its own. */
export interface CommandLimits {
  /** How long a housekeeping command (find, du, mkdir, rm) may run. */
  commandTimeoutMs: number;
  /** How long a transfer may go without moving a byte. */
  transferStallTimeoutMs: number;
}

export interface RemoteShell {
  /** `group/index`, for messages. */
  readonly instance: string;
  /** True when commands must be prefixed with sudo (the user is not root). */
  readonly needsSudo: boolean;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  close(): void;
}
