// The workflows a subcommand can run, bound to their flags; the same ones serve deployment and director mode.
import { verifyArtifactDirectory } from '../artifact/verify.js';
import type { RemoteCompression } from '../artifact/remote-compression.js';
import type { BackupMetadata } from '../artifact/metadata-file.js';
import { backup } from '../orchestrate/backup.js';
import { backupCleanup, restoreCleanup } from '../orchestrate/cleanup.js';
import { planBackup } from '../orchestrate/backup-dry-run.js';
import { drill } from '../orchestrate/drill.js';
import { preBackupCheck } from '../orchestrate/pre-backup-check.js';
import { restore } from '../orchestrate/restore.js';
import type { Workflow } from './run-operation.js';

export interface BackupFlags {
  artifactPath: string;
  withManifest: boolean;
  unsafeLockFree: boolean;
  /** --remote-compress */
  remoteCompression?: RemoteCompression;
}

export function backupWorkflow(flags: BackupFlags): Workflow {
  return {
    // Two backups of one deployment into one artifact path never overlap (issue 16).
    runLockPath: flags.artifactPath,
    run: (ctx, deployment, scope) =>
      backup(ctx, deployment, {
        deploymentName: scope.name,
        artifactPath: flags.artifactPath,
        manifestText: flags.withManifest ? scope.manifestText : undefined,
        unsafeLockFree: flags.unsafeLockFree,
        remoteCompression: flags.remoteCompression,
        withReleases: scope.withReleases,
        cleanupCommand: scope.cleanupCommand('backup-cleanup'),
      }),
  };
}

/** `backup --dry-run`: the checks and the plan, no lock, backup or unlock script. */
export function backupDryRunWorkflow(flags: Pick<BackupFlags, 'artifactPath'>): Workflow {
  return {
    dryRun: true,
    run: (ctx, deployment, scope) =>
      planBackup(ctx, deployment, {
        deploymentName: scope.name,
        artifactPath: flags.artifactPath,
        withReleases: scope.withReleases,
        cleanupCommand: scope.cleanupCommand('backup-cleanup'),
      }),
  };
}

export function preBackupCheckWorkflow(): Workflow {
  return {
    run: (ctx, deployment, scope) =>
      preBackupCheck(ctx, deployment, {
        deploymentName: scope.name,
        withReleases: scope.withReleases,
        cleanupCommand: scope.cleanupCommand('backup-cleanup'),
      }),
  };
}

/** Restore verifies the whole artifact offline first: a damaged backup never reaches an instance. */
export function restoreWorkflow(flags: { artifactPath: string }): Workflow {
  let metadata: BackupMetadata | undefined;
  let absentArtifacts: ReadonlySet<string> = new Set();
  let directory = flags.artifactPath;
  return {
    async preflight(ctx) {
      ctx.events({ type: 'phase-started', phase: 'verify' });
      const started = Date.now();
      const verified = await verifyArtifactDirectory(flags.artifactPath, { signal: ctx.signal });
      for (const failure of verified.failures) ctx.events({ type: 'failure', error: failure });
      ctx.events({ type: 'phase-finished', phase: 'verify', durationMs: Date.now() - started, failures: verified.failures.length });
      metadata = verified.metadata;
      absentArtifacts = new Set(verified.verdicts.filter((v) => v.absent).map((v) => v.file));
      directory = verified.directory;
      return verified.failures;
    },
    run: (ctx, deployment, scope) =>
      restore(ctx, deployment, {
        deploymentName: scope.name,
        artifactDir: directory,
        metadata: metadata!,
        absentArtifacts,
        withReleases: scope.withReleases,
        cleanupCommand: scope.cleanupCommand('restore-cleanup'),
      }),
  };
}

export interface DrillFlags {
  artifactPath: string;
  verify: string;
  verifyOn?: string;
  verifyTimeoutMs?: number;
}

/** A drill is a restore (same offline verification first) followed by the operator's check, both timed. */
export function drillWorkflow(flags: DrillFlags): Workflow {
  const restoring = restoreWorkflow({ artifactPath: flags.artifactPath });
  return {
    preflight: restoring.preflight,
    run: (ctx, deployment, scope) =>
      drill(ctx, deployment, {
        deploymentName: scope.name,
        artifactDir: flags.artifactPath,
        verifyCommand: flags.verify,
        verifyOn: flags.verifyOn,
        verifyTimeoutMs: flags.verifyTimeoutMs,
        restore: () => restoring.run(ctx, deployment, scope),
      }),
  };
}

/** backup-cleanup / restore-cleanup: unlock every job, remove leftover remote artifact directories. */
export function cleanupWorkflow(verb: 'backup-cleanup' | 'restore-cleanup'): Workflow {
  const clean = verb === 'backup-cleanup' ? backupCleanup : restoreCleanup;
  return {
    run: (ctx, deployment, scope) =>
      clean(ctx, deployment, { deploymentName: scope.name, withReleases: scope.withReleases, cleanupCommand: scope.cleanupCommand(verb) }),
  };
}
