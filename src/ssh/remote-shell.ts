// What the rest of bbr-ts needs from an instance: run a command line, optionally streaming stdin/stdout.
// Workflows and the script contract depend on this interface, never on ssh2.
import type { Readable, Writable } from 'node:stream';

export interface ExecOptions {
  /** Aborting signals the remote command (TERM, then KILL after a grace period) and closes the channel. */
  signal?: AbortSignal;
  /** Streamed to the command's stdin, then EOF. */
  stdin?: Readable;
  /** When given, stdout is piped here with backpressure instead of being captured. */
  stdout?: Writable;
  /** Kill the command when it runs longer than this. */
  timeoutMs?: number;
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
  /** The last part of stderr, capped. */
  stderrTail: string;
  timedOut: boolean;
  cancelled: boolean;
}

export interface RemoteShell {
  /** `group/index`, for messages. */
  readonly instance: string;
  /** True when commands must be prefixed with sudo (the user is not root). */
  readonly needsSudo: boolean;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  close(): void;
}
