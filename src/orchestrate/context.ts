// What every workflow is given: where to report, the signals that stop it, and its limits. Instances are
// reached through the instance port (instance.ts), whose ConnectInstance openDeployment is given.
import type { EventSink } from './events.js';

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
