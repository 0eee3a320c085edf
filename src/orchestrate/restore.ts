// The restore workflow (bbr-contract.md §3.4): the backup is verified offline before anything is connected (a
// damaged backup never reaches an instance); then the restorable check, upload with checksums, pre-restore-lock,
// restore, post-restore-unlock (always, once a lock was attempted), and removal of the remote artifact directories.
import type { BackupMetadata } from '../artifact/metadata-file.js';
import { verifyBackup } from '../artifact/verify.js';
import { exitCodeOf, remedyStep, RestoreError, type BbrError, type Remedy } from '../errors.js';
import type { StoredBackup } from './artifact-store.js';
import type { RunContext } from './context.js';
import type { Instance } from './instance.js';
import { LockLedger, lockJobs, unlockJobs } from './locking.js';
import type { DeployedJob, OpenDeployment } from './open-deployment.js';
import { tryPlanScripts, type ScriptPlan } from './plan.js';
import { RunRecorder, type Advice, type RunOutcome } from './recorder.js';
import { cleanUpInstances, findLeftoverArtifactDirs } from './remote-artifacts.js';
import { matchBackupToDeployment, type RestoreSource, type SkippedArtifact } from './restore-topology.js';
import { whenOpen, type Session } from './run-operation.js';
import { runAll } from './run-waves.js';
import { reportTransfer } from './transfer-events.js';

export interface RestoreRequest {
  deploymentName: string;
  /**
   * Opens the backup to restore (a local directory or object storage, through its decryption layer). Called in
   * the verify phase: a backup that cannot be opened (a wrong --identity) stops the restore before connecting.
   */
  openBackup: () => Promise<StoredBackup>;
  withReleases: boolean;
}

/** Verifies the backup offline, then opens the deployment and restores it there. */
export async function restore(session: Session, request: RestoreRequest): Promise<RunOutcome> {
  const verified = await verifyOffline(session.ctx, request.openBackup);
  if (verified.failures.length > 0) return { failures: verified.failures, exitCode: exitCodeOf(verified.failures) };
  return whenOpen(session, (deployment) => restoreVerified(session.ctx, deployment, { ...request, ...verified }));
}

/**
 * The whole backup, read before anything is connected (so before any lock). Object storage: metadata, object
 * list and sizes here; each tar's bytes on the way to its instance (reading everything twice would double the
 * transfer).
 */
async function verifyOffline(ctx: RunContext, openBackup: () => Promise<StoredBackup>): Promise<Omit<RestoreOptions, keyof RestoreRequest> & { failures: BbrError[] }> {
  ctx.events({ type: 'phase-started', phase: 'verify' });
  const started = Date.now();
  const backup = await openBackup();
  const verified = await verifyBackup(backup, { signal: ctx.signal, contents: backup.cheapToRead ? undefined : false });
  // Reported here so that the refusal reaches logs and --summary-json, not only the terminal.
  for (const failure of verified.failures) ctx.events({ type: 'failure', error: failure });
  ctx.events({ type: 'phase-finished', phase: 'verify', durationMs: Date.now() - started, failures: verified.failures.length });
  return {
    failures: verified.failures,
    backup,
    metadata: verified.metadata!,
    absentArtifacts: new Set(verified.verdicts.filter((v) => v.absent).map((v) => v.file)),
  };
}

/** What restoring into an open deployment needs: the verified backup and its metadata. */
export interface RestoreOptions {
  deploymentName: string;
  /** The verified backup (local directory or object storage). */
  backup: StoredBackup;
  metadata: BackupMetadata;
  /** Custom artifacts listed without files whose tar is absent (verified as such, as BBR accepts them). */
  absentArtifacts?: ReadonlySet<string>;
  withReleases: boolean;
}

/** What a restore that left something behind asks the operator to run. */
const REMEDY: Remedy = 'restore-cleanup';

interface RestoreCheck {
  plan?: ScriptPlan;
  sources: RestoreSource<DeployedJob>[];
  skipped: SkippedArtifact[];
  failures: BbrError[];
}

/** Everything that must hold before anything is written to an instance; every problem is reported. */
async function checkRestorable(ctx: RunContext, deployment: OpenDeployment, options: RestoreOptions): Promise<RestoreCheck> {
  const match = matchBackupToDeployment({
    deploymentName: options.deploymentName,
    metadata: options.metadata,
    instances: deployment.instances.map((i) => ({ name: i.target.name, disabledJobs: i.disabledJobs })),
    jobs: deployment.jobs,
    absentArtifacts: options.absentArtifacts,
  });
  const failures: BbrError[] = [...match.failures];
  failures.push(...findLeftoverArtifactDirs(deployment.instances, REMEDY));
  const planned = tryPlanScripts(deployment.jobs, 'restore', { withReleases: options.withReleases });
  return { plan: planned.plan, sources: match.sources, skipped: match.skipped, failures: [...failures, ...planned.failures] };
}

/** The restore itself, once the backup verified: also driven directly by the failure matrix (memory instances). */
export async function restoreVerified(ctx: RunContext, deployment: OpenDeployment, options: RestoreOptions): Promise<RunOutcome> {
  const rec = new RunRecorder(ctx);
  const checked = await rec.phase('check', undefined, () => checkRestorable(ctx, deployment, options));
  checked.failures.forEach((f) => rec.fail(f));
  if (!checked.plan || checked.failures.length > 0) return rec.outcome();
  const plan = checked.plan;
  // BBR restores only what jobs with a restore script read and ignores the rest silently; say what is left out.
  for (const skip of checked.skipped) ctx.events({ type: 'artifact-skipped', ...skip });
  const sources = new Map(checked.sources.map((source) => [source.job, source]));

  // An instance counts as touched before its directory is created, so a failed upload is cleaned up too
  // (BBR leaves that case to restore-cleanup).
  const touched = new Set<Instance>();
  const uploaded = await uploadArtifacts(ctx, rec, checked.sources, options, touched);

  const ledger = new LockLedger();
  if (uploaded && !ctx.signal.aborted) {
    // BBR compat: pre-restore-lock and post-restore-unlock run one job at a time, whatever --parallelism says
    // (factory/deployment_restorer.go uses executor.NewSerialExecutor, commit f40dc845 "to resolve the race
    // condition in post-restore-unlock"): clustered databases must bootstrap one node after the other.
    const serial: RunContext = { ...ctx, parallelism: 1 };
    try {
      // BBR compat: a pre-restore-lock failure is generic, not a lock failure (orchestrator/pre_restore_lock_step.go).
      const locked = await lockJobs(serial, rec, plan, ledger, { lockErrorClass: RestoreError });
      if (locked && !ctx.signal.aborted) await runRestoreScripts(ctx, rec, plan, sources);
    } finally {
      await unlockJobs(serial, rec, plan, ledger, {}, REMEDY);
    }
  }
  if (ctx.signal.aborted) rec.noteCancelled(interruptedAdvice(ledger, plan));

  await cleanUpInstances(ctx, rec, [...touched], { remedy: REMEDY });
  // A Ctrl-C during the cleanup itself (it still runs to the end, under the force signal) is reported too.
  if (ctx.signal.aborted) rec.noteCancelled();
  return rec.outcome();
}

/** After an interrupt: the jobs that may still be locked, from the ledger, and what unlocks them. */
function interruptedAdvice(ledger: LockLedger, plan: ScriptPlan): Advice | undefined {
  const still = ledger.stillLocked(plan.unlockScript);
  if (still.length === 0) return undefined;
  return { hint: `these jobs may still be locked: ${still.map((j) => `${j.name} on ${j.instance}`).join(', ')}; run ${remedyStep(REMEDY)} to unlock them`, remedy: REMEDY };
}

async function uploadArtifacts(
  ctx: RunContext,
  rec: RunRecorder,
  sources: readonly RestoreSource<DeployedJob>[],
  options: RestoreOptions,
  touched: Set<Instance>,
): Promise<boolean> {
  return rec.phase('upload', sources.length, async () => {
    const outcomes = await runAll(
      sources,
      async ({ job, artifact, checksums }) => {
        const stored = options.backup;
        // The tar's size gives the live view an ETA for the upload.
        const transfer = reportTransfer(ctx, 'upload', job, artifact.file, await stored.size(artifact.file));
        touched.add(job.handle);
        const result = await job.handle.upload({
          job: job.name,
          source: stored.describe(artifact.file),
          open: () => stored.open(artifact.file, ctx.signal),
          // Object storage was checked for metadata, listing and sizes only: prove the bytes on their way.
          checkInTransit: !stored.cheapToRead,
          remoteDir: artifact.remoteDir,
          expected: checksums,
          signal: ctx.signal,
          onProgress: transfer.progress,
        });
        transfer.finished(result);
      },
      { parallelism: ctx.parallelism, signal: ctx.signal },
    );
    for (const o of outcomes) if (o.error !== undefined) rec.failIn(RestoreError, o.error, {}, o.item.job);
    return outcomes.every((o) => o.started && o.error === undefined);
  });
}

/**
 * BBR compat: instances restore one after another, each instance's jobs in turn, and the run stops at the first
 * instance that had a failure (deployment.go Restore). Restores rewrite data; a broken one should not spread.
 */
async function runRestoreScripts(
  ctx: RunContext,
  rec: RunRecorder,
  plan: ScriptPlan,
  sources: ReadonlyMap<DeployedJob, RestoreSource<DeployedJob>>,
): Promise<boolean> {
  return rec.phase('restore', plan.mainJobs.length, async () => {
    const byInstance = new Map<string, DeployedJob[]>();
    for (const job of plan.mainJobs) byInstance.set(job.instance, [...(byInstance.get(job.instance) ?? []), job]);
    for (const jobs of byInstance.values()) {
      let failed = false;
      for (const job of jobs) {
        if (ctx.signal.aborted) return false;
        // Every job with a restore script has a source (the topology check refused the backup otherwise).
        const dir = sources.get(job)!.artifact.remoteDir;
        try {
          await rec.script(job, 'restore', { env: { BBR_ARTIFACT_DIRECTORY: dir, ARTIFACT_DIRECTORY: dir }, signal: ctx.signal });
        } catch (error) {
          rec.failIn(RestoreError, error);
          failed = true;
        }
      }
      if (failed) return false;
    }
    return true;
  });
}
