// What main.ts hands to commands: where output goes, the interrupt signals, and the event sink.
import type { Writable } from 'node:stream';
import type { EventSink } from '../orchestrate/events.js';

export interface Runtime {
  stdout: Writable;
  stderr: Writable;
  /** Aborted on the first Ctrl-C / SIGTERM: stop starting work, cancel running scripts, then unlock. */
  signal: AbortSignal;
  /** Aborted only when the operator insists: unlock and cleanup stop too. */
  forceSignal: AbortSignal;
  /** Where commands send run events; runCli points it at the renderers chosen by the output flags. */
  events: EventSink;
  version: string;
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

/** Flags shared by every mode that connects to instances. */
export interface ConnectionFlags {
  username: string;
  privateKeyPath: string;
  knownHosts: string;
  dangerouslySkipHostKeyCheck: boolean;
  parallelism: number;
  connectTimeout: number;
  scriptTimeout?: number;
  /** Seconds; see --command-timeout, --transfer-stall-timeout and --interrupt-timeout. */
  commandTimeout: number;
  transferStallTimeout: number;
  interruptTimeout: number;
}
