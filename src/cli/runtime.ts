// What main.ts hands to commands: where output goes, the interrupt signals, and the event sink.
import type { Writable } from 'node:stream';
import type { EventSink } from '../orchestrate/events.js';

export interface Runtime {
  readonly stdout: Writable;
  /** Where the human error report goes: stdout instead when JSON logs go to stderr (output-options.ts). */
  readonly stderr: Writable;
  /** Aborted on the first Ctrl-C / SIGTERM: stop starting work, cancel running scripts, then unlock. */
  readonly signal: AbortSignal;
  /** Aborted only when the operator insists: unlock and cleanup stop too. */
  readonly forceSignal: AbortSignal;
  /** Where commands send run events: the renderers chosen by the output flags (runCli builds it before a command runs). */
  readonly events: EventSink;
  readonly version: string;
}

/** What main.ts (or a test) hands to runCli: a Runtime whose event sink is optional, plus the terminal. */
export interface CliRuntime extends Omit<Runtime, 'events'> {
  /** An extra sink that sees every event besides the renderers (tests). */
  events?: EventSink;
  /** stdout is a terminal: the live view is shown unless --no-progress. */
  stdoutIsTTY?: boolean;
  /** Colour on stdout (a terminal and NO_COLOR unset). */
  color?: boolean;
}

/** Flags shared by every mode that connects to instances (options.ts reads them from CONNECTION_OPTIONS). */
export interface ConnectionFlags {
  readonly username: string;
  readonly privateKeyPath: string;
  readonly knownHosts: string;
  readonly dangerouslySkipHostKeyCheck: boolean;
  readonly parallelism: number;
  readonly connectTimeoutSeconds: number;
  /** No limit when undefined, as BBR. */
  readonly scriptTimeoutSeconds?: number;
  readonly commandTimeoutSeconds: number;
  readonly transferStallTimeoutSeconds: number;
  readonly interruptTimeoutSeconds: number;
}
