// What every workflow is given: how to reach instances, where to report, and the signals that stop it.
import type { InstanceTarget } from '../manifest/index.js';
import type { EventSink } from './events.js';
import type { RemoteShell } from '../ssh/index.js';

/** Opens a connection to one instance; the composition root decides how (ssh2, credentials, timeouts). */
export type ConnectInstance = (target: InstanceTarget, signal: AbortSignal) => Promise<RemoteShell>;

export interface RunContext {
  events: EventSink;
  /** The operator's interrupt: stop starting new work, cancel what runs. */
  signal: AbortSignal;
  /**
   * Aborted only when the operator insists (a second Ctrl-C). Unlock and cleanup run under this one, never
   * under `signal`, so an interrupted run still unlocks.
   */
  forceSignal: AbortSignal;
  parallelism: number;
  scriptTimeoutMs: number | undefined;
  /** bbr-ts's own version, for BBR_TS_VERSION (BBR_VERSION is contract/bbr-version.ts). */
  bbrTsVersion: string;
}
