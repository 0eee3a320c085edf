// The instance-source port: where a run's instances come from and how they are reached. A manifest (static IPs,
// the operator's key) and a BOSH director (its instance listing, a temporary SSH user per run) implement it;
// the workflows only ever see the resolved targets.
import type { BbrError } from '../errors.js';
import type { InstanceTarget } from '../manifest/index.js';

export interface ResolvedDeployment {
  /** Names the artifact directory and appears in messages. */
  name: string;
  /** The instances, in the order the source lists them (no access granted yet). */
  targets: readonly InstanceTarget[];
  /** False when lock order matches job names only, as BBR's director mode does. */
  withReleases: boolean;
  /** The raw manifest, when the source has one (saved by --with-manifest). */
  manifestText?: string;
  /**
   * Makes the targets reachable and returns them with whatever each needs to log in (`access`). Called after
   * the workflow's local checks (a writable store, a backup that verifies), so nothing is set up on the
   * instances for a run that cannot start. When it fails it has already undone what it set up (under
   * `cleanupSignal`) and returns every failure; on success `release` must be called once the run is over,
   * whatever happened. Neither throws.
   */
  grantAccess?(signal: AbortSignal, cleanupSignal: AbortSignal): Promise<GrantOutcome>;
}

export type GrantOutcome = GrantedAccess | { failures: BbrError[] };

export interface GrantedAccess {
  targets: readonly InstanceTarget[];
  /** Undoes what grantAccess set up (the director's SSH users); the failures it could not undo. */
  release(signal: AbortSignal): Promise<BbrError[]>;
}

export interface InstanceSource {
  resolve(signal: AbortSignal): Promise<ResolvedDeployment>;
}
