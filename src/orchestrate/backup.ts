// The backup workflow (bbr-contract.md §3.2) as plain steps: check, create the local directory, lock,
// back up, unlock (always, once a lock was attempted), drain, remove remote artifacts, write metadata.
import { localDecoderMissing, type RemoteCompression } from '../artifact/remote-compression.js';
import { artifactDirectoryName } from '../artifact/file-names.js';
import { PARTIAL_SUFFIX } from '../artifact/local-directory.js';
import type { BackupMetadata, InstanceArtifacts } from '../artifact/metadata-file.js';
import { BackupError, CleanupError, DrainError, PreconditionError, RemoteCommandError, remedyStep, UnlockError, UsageError, type BbrError, type Remedy } from '../errors.js';
import { lengthProblem } from '../names.js';
import type { ArtifactStore, NewBackup } from './artifact-store.js';
import type { RunContext } from './context.js';
import { LockLedger, lockJobs, unlockJobs } from './locking.js';
import type { DeployedJob, OpenDeployment } from './open-deployment.js';
import { backupArtifactOf, findArtifactNameProblems, tryPlanScripts, type JobArtifact, type ScriptPlan } from './plan.js';
import { RunRecorder, type Advice, type RunOutcome } from './recorder.js';
import { cleanUpInstances, findLeftoverArtifactDirs } from './remote-artifacts.js';
import { runAll } from './run-waves.js';
import { reportTransfer } from './transfer-events.js';

/** What a backup that left something behind asks the operator to run. */
const REMEDY: Remedy = 'backup-cleanup';

export interface BackupOptions {
  deploymentName: string;
  /** Where the `<deployment>_<timestamp>` backup is created (a local folder or object storage). */
  store: ArtifactStore;
  /** The raw manifest, written as manifest.yml when given (--with-manifest). */
  manifestText?: string;
  unsafeLockFree: boolean;
  /** Compress each artifact on the instance during the drain (where the instance has the tool). */
  remoteCompression?: RemoteCompression;
  withReleases: boolean;
  now?: () => Date;
}

/** The checks of pre-backup-check, also the first step of backup: nothing is locked or written if they fail. */
export async function checkBackupable(
  ctx: RunContext,
  deployment: OpenDeployment,
  options: Pick<BackupOptions, 'deploymentName' | 'withReleases'>,
): Promise<{ plan?: ScriptPlan; failures: BbrError[] }> {
  const failures: BbrError[] = [];
  if (!deployment.jobs.some((job) => job.scripts.has('backup'))) {
    failures.push(
      new PreconditionError(`deployment '${options.deploymentName}' has no backup scripts`, {
        hint: 'check that the manifest lists the right instances and that their jobs ship bin/bbr/backup scripts',
      }),
    );
  }
  failures.push(...findLeftoverArtifactDirs(deployment.instances, REMEDY));
  failures.push(...findCustomArtifactClashes(deployment.jobs));
  // The longest name the artifact directory has while it is written: `<deployment>_<timestamp>.partial`.
  const directoryTooLong = lengthProblem(artifactDirectoryName(options.deploymentName, new Date(0)) + PARTIAL_SUFFIX);
  if (directoryTooLong) {
    failures.push(
      new UsageError(`deployment name '${options.deploymentName}' is too long for the artifact directory <deployment>_<timestamp>${PARTIAL_SUFFIX}: ${directoryTooLong}`, {
        hint: 'pass a shorter name with --deployment (in director mode the artifact directory is named after --host)',
      }),
    );
  }
  const planned = tryPlanScripts(deployment.jobs, 'backup', { withReleases: options.withReleases });
  if (planned.plan) failures.push(...findArtifactNameProblems(planned.plan.mainJobs));
  return { plan: planned.plan, failures: [...failures, ...planned.failures] };
}

/**
 * Two bootstrap jobs with backup_one_restore_all and the same job and release names (in different instance groups)
 * would write one custom artifact twice; BBR lets the second overwrite the first. Refuse before anything runs.
 */
function findCustomArtifactClashes(jobs: readonly DeployedJob[]): BbrError[] {
  const writers = new Map<string, DeployedJob[]>();
  for (const job of jobs) {
    const artifact = backupArtifactOf(job);
    if (artifact.custom && job.scripts.has('backup')) writers.set(artifact.name, [...(writers.get(artifact.name) ?? []), job]);
  }
  return [...writers]
    .filter(([, by]) => by.length > 1)
    .map(
      ([name, by]) =>
        new PreconditionError(`custom artifact ${name} (backup_one_restore_all) would be written by ${by.map((j) => `job ${j.name} on ${j.instance}`).join(' and ')}`, {
          hint: 'set backup_one_restore_all on the job in one instance group only',
        }),
    );
}

export async function backup(ctx: RunContext, deployment: OpenDeployment, options: BackupOptions): Promise<RunOutcome> {
  const rec = new RunRecorder(ctx);
  const now = options.now ?? (() => new Date());
  const checked = await rec.phase('check', undefined, () => checkBackupable(ctx, deployment, options));
  checked.failures.forEach((f) => rec.fail(f));
  const noDecoder = options.remoteCompression && (await localDecoderMissing(options.remoteCompression));
  if (noDecoder) {
    rec.fail(new PreconditionError(`--remote-compress ${options.remoteCompression}: ${noDecoder}`, { hint: 'install it, or use --remote-compress gzip' }));
  }
  if (!checked.plan || checked.failures.length > 0 || noDecoder) return rec.outcome();
  const plan = checked.plan;

  const startTime = now();
  let directory: NewBackup;
  try {
    directory = await options.store.create(artifactDirectoryName(options.deploymentName, startTime));
    await directory.writeMetadata({ instances: [], customArtifacts: [], backupActivity: { startTime } });
    if (options.manifestText !== undefined) await directory.writeManifest(options.manifestText);
  } catch (error) {
    rec.fail(error);
    return rec.outcome();
  }

  const ledger = new LockLedger();
  let backedUp = false;
  const touched = new Set(plan.mainJobs.map((job) => job.handle));
  try {
    const locked = options.unsafeLockFree ? true : await lockJobs(ctx, rec, plan, ledger);
    if (locked && !ctx.signal.aborted) backedUp = await runBackupScripts(ctx, rec, plan);
  } finally {
    if (!options.unsafeLockFree) {
      await unlockJobs(ctx, rec, plan, ledger, { BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL: String(backedUp) }, REMEDY);
    }
  }
  if (ctx.signal.aborted) rec.noteCancelled(interruptedAdvice(ledger, plan, options));

  const drained: Drained[] = [];
  // BBR compat: drain runs even when unlock after a successful backup failed (orchestrator/backuper.go).
  if (backedUp && !ctx.signal.aborted) {
    await rec.phase('drain', plan.mainJobs.length, async () => {
      const outcomes = await runAll(
        plan.mainJobs,
        async (job) => {
          const artifact = backupArtifactOf(job);
          const transfer = reportTransfer(ctx, 'drain', job, artifact.file, await job.handle.artifactSize(artifact.remoteDir, ctx.signal));
          const result = await job.handle.drain({
            job: job.name,
            remoteDir: artifact.remoteDir,
            destination: directory.describe(artifact.file),
            createSink: (onWriteError) => directory.createArtifact(artifact.file, onWriteError),
            signal: ctx.signal,
            remoteCompression: options.remoteCompression,
            onProgress: transfer.progress,
          });
          drained.push({ job, artifact, checksums: result.checksums });
          // The drained copy is verified; free the instance's disk now rather than at the end. If rm fails, the
          // cleanup phase tries again on the whole root and reports it; a lost connection fails this job's drain.
          await job.handle.removeArtifacts(artifact.remoteDir, ctx.forceSignal).catch((error: unknown) => {
            if (!(error instanceof RemoteCommandError)) throw error;
          });
          transfer.finished(result);
        },
        { parallelism: ctx.parallelism, signal: ctx.signal },
      );
      for (const o of outcomes) if (o.error !== undefined) rec.failIn(DrainError, o.error, {}, o.item);
      if (ctx.signal.aborted) rec.noteCancelled();
    });
  }

  await cleanUpInstances(ctx, rec, [...touched], { remedy: REMEDY });

  const metadata: BackupMetadata = {
    instances: groupArtifacts(deployment, drained),
    // BBR compat: a custom artifact is listed on its own, not under its instance (backup/backup_directory.go AddChecksum).
    customArtifacts: deployment.jobs
      .map((job) => drained.find((d) => d.job === job && d.artifact.custom))
      .filter((d) => d !== undefined)
      .map((d) => ({ name: d.artifact.name, checksums: d.checksums })),
    backupActivity: { startTime, finishTime: now() },
  };
  let metadataWritten = false;
  try {
    await directory.writeMetadata(metadata);
    metadataWritten = true;
  } catch (error) {
    rec.fail(error);
  }
  // An interrupt (or the last-resort guard in main.ts stopping the run after an internal error) in any phase
  // means the backup is not known to be whole: it must not be renamed into place.
  if (ctx.signal.aborted) rec.noteCancelled();
  const complete = metadataWritten && isComplete(rec.failures, backedUp, drained.length, plan.mainJobs.length);
  try {
    // Renamed into place only when the data is complete; otherwise it is kept as `<name>.failed` for inspection.
    const finalPath = await directory.finish(complete);
    if (complete && rec.failures.length > 0) {
      ctx.events({
        type: 'warning',
        message: `the backup in ${finalPath} is complete (every artifact was drained and verified) and can be restored; the exit code reports the unlock or cleanup failure above`,
      });
    }
    return { ...rec.outcome(finalPath), artifactComplete: complete };
  } catch (error) {
    rec.fail(error);
    return { ...rec.outcome(directory.location), artifactComplete: false };
  }
}

/**
 * Whether the drained data is the whole backup. A failed post-backup-unlock (exit 8) or final cleanup (exit 16)
 * after every artifact was drained and verified leaves a job locked or a remote directory behind, not a hole in
 * the data: such a backup keeps its normal name, as BBR's does (BBR never renames; it exits 8 or 16). Any other
 * failure, an interrupt included, means the data may be incomplete.
 */
function isComplete(failures: readonly BbrError[], backedUp: boolean, drainedCount: number, jobCount: number): boolean {
  return backedUp && drainedCount === jobCount && failures.every((f) => f instanceof UnlockError || f instanceof CleanupError);
}

async function runBackupScripts(ctx: RunContext, rec: RunRecorder, plan: ScriptPlan): Promise<boolean> {
  return rec.phase('backup', plan.mainJobs.length, async () => {
    const outcomes = await runAll(
      plan.mainJobs,
      async (job) => {
        const dir = backupArtifactOf(job).remoteDir;
        // BBR creates the directory with its own SSH command first; one command for both saves a channel per job.
        await rec.script(job, 'backup', { env: { BBR_ARTIFACT_DIRECTORY: dir, ARTIFACT_DIRECTORY: dir }, signal: ctx.signal, createDirectory: dir });
      },
      { parallelism: ctx.parallelism, signal: ctx.signal },
    );
    for (const o of outcomes) if (o.error !== undefined) rec.failIn(BackupError, o.error);
    return outcomes.every((o) => o.started && o.error === undefined);
  });
}

/** After an interrupt: say plainly whether anything may still be locked, from the ledger. */
function interruptedAdvice(ledger: LockLedger, plan: ScriptPlan, options: BackupOptions): Advice {
  if (options.unsafeLockFree) {
    return { hint: `nothing was locked (--unsafe-lock-free); run ${remedyStep(REMEDY)} to remove remote artifacts, then back up again`, remedy: REMEDY };
  }
  const still = ledger.stillLocked(plan.unlockScript);
  if (still.length === 0) return { hint: 'every job that was locked has been unlocked; no backup was kept; back up again when ready' };
  return { hint: `these jobs may still be locked: ${still.map((j) => `${j.name} on ${j.instance}`).join(', ')}; run ${remedyStep(REMEDY)} to unlock them`, remedy: REMEDY };
}

interface Drained {
  job: DeployedJob;
  artifact: JobArtifact;
  checksums: Record<string, string>;
}

/** Instance artifacts in manifest order (BBR writes them in download order; a stable order diffs better). */
function groupArtifacts(deployment: OpenDeployment, drained: readonly Drained[]): InstanceArtifacts[] {
  const result: InstanceArtifacts[] = [];
  for (const instance of deployment.instances) {
    const artifacts = instance.jobs
      .map((job) => drained.find((d) => d.job === job && !d.artifact.custom))
      .filter((d) => d !== undefined)
      .map((d) => ({ name: d.job.name, checksums: d.checksums }));
    if (artifacts.length > 0) result.push({ name: instance.target.group, index: String(instance.target.index), artifacts });
  }
  return result;
}
