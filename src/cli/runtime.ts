// What main.ts hands to commands: where output goes, the interrupt signals, and the event sink.
import type { Writable } from 'node:stream';
import type { EventSink } from '../report/events.js';

export interface Runtime {
  stdout: Writable;
  stderr: Writable;
  /** Aborted on the first Ctrl-C / SIGTERM: stop starting work, cancel running scripts, then unlock. */
  signal: AbortSignal;
  /** Aborted only when the operator insists: unlock and cleanup stop too. */
  forceSignal: AbortSignal;
  events: EventSink;
  version: string;
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
}
