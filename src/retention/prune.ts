// `artifact prune`: decide with the keep policy, then remove what it does not keep, reporting each backup as it
// is handled. A removal that fails is reported and the others still run; the caller exits non-zero.
import { CancelledError } from '../errors.js';
import { listLocalBackups, removeLocalBackup } from './local-history.js';
import { applyKeepPolicy, type Decision, type KeepPolicy } from './policy.js';

export interface PruneStep {
  readonly decision: Decision;
  /** For a backup to remove: the error when removing it failed (never set on a dry run). */
  readonly error?: unknown;
}

export interface PruneOptions {
  policy: KeepPolicy;
  deployment?: string;
  dryRun: boolean;
  /** Called once per backup, newest first per deployment, after its removal was tried. */
  onStep: (step: PruneStep) => void;
  signal: AbortSignal;
}

export async function pruneLocalArtifactPath(artifactPath: string, options: PruneOptions): Promise<{ steps: PruneStep[]; failures: unknown[] }> {
  const backups = await listLocalBackups(artifactPath, options.deployment);
  const leftovers = backups.filter((b) => b.leftover);
  const decisions: Decision[] = [
    ...applyKeepPolicy(backups.filter((b) => !b.leftover), options.policy),
    ...leftovers.map((entry) => ({ entry, keep: false, reasons: ['left half-removed by an interrupted prune'] })),
  ];
  return carryOut(decisions, (name) => removeLocalBackup(artifactPath, name), options);
}

/**
 * Removes what the decisions do not keep, one backup at a time, reporting each as it is handled. A failed removal
 * is recorded and the others still run; once interrupted, each backup left is reported as not removed.
 */
export async function carryOut(
  decisions: readonly Decision[],
  remove: (name: string, signal: AbortSignal) => Promise<void>,
  options: Pick<PruneOptions, 'dryRun' | 'onStep' | 'signal'>,
): Promise<{ steps: PruneStep[]; failures: unknown[] }> {
  const steps: PruneStep[] = [];
  const failures: unknown[] = [];
  for (const decision of decisions) {
    let step: PruneStep = { decision };
    if (!decision.keep && !options.dryRun) {
      try {
        if (options.signal.aborted) throw new CancelledError(`${decision.entry.name} was not removed: interrupted`, { hint: 'run the same prune again' });
        await remove(decision.entry.name, options.signal);
      } catch (error) {
        failures.push(error);
        step = { decision, error };
      }
    }
    steps.push(step);
    options.onStep(step);
  }
  return { steps, failures };
}
