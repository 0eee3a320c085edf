// The workflows a subcommand can run, bound to their flags; the same ones serve deployment and director mode.
import type { RemoteCompression } from '../artifact/remote-compression.js';
import { backup } from '../orchestrate/backup.js';
import { backupCleanup, restoreCleanup } from '../orchestrate/cleanup.js';
import { planBackup } from '../orchestrate/backup-dry-run.js';
import { runLocalCommand } from '../instance/local-command.js';
import { drill } from '../orchestrate/drill.js';
import { preBackupCheck } from '../orchestrate/pre-backup-check.js';
import { restore, type RestoreRequest } from '../orchestrate/restore.js';
import type { ArtifactStore } from '../orchestrate/artifact-store.js';
import type { RunContext } from '../orchestrate/context.js';
import { whenOpen, type Session, type Workflow } from '../orchestrate/run-operation.js';
import { openStore, type StorageFlags } from './storage-options.js';
import { openForReading, storeForBackup, type EncryptionFlags } from './encryption-options.js';

/** The artifact store of a run; its retries and the like become warnings. */
function storeFor(ctx: RunContext, artifactPath: string, storage: StorageFlags | undefined): Promise<ArtifactStore> {
  return openStore(artifactPath, storage, (message) => ctx.events({ type: 'warning', message }));
}

export interface BackupFlags {
  artifactPath: string;
  /** --s3-* flags, for an s3:// artifact path. */
  storage?: StorageFlags;
  withManifest: boolean;
  unsafeLockFree: boolean;
  /** --remote-compress */
  remoteCompression?: RemoteCompression;
  /** --encrypt-to, --encrypt-to-file */
  encryption?: EncryptionFlags;
}

export function backupWorkflow(flags: BackupFlags): Workflow {
  return {
    // Two backups of one deployment into one artifact path never overlap (issue 16): a lock file in a local
    // artifact path, lock objects under an s3:// one (artifact/run-lock.ts, artifact/s3-run-lock.ts).
    acquireRunLock: async (deployment, report) => (await openStore(flags.artifactPath, flags.storage, report)).acquireRunLock?.(deployment, report),
    async run(session) {
      const { ctx, scope } = session;
      // Encryption and compression at rest are layers over the store; a wrong recipient is refused here.
      const store = await storeForBackup(await storeFor(ctx, flags.artifactPath, flags.storage), flags.encryption);
      // Object storage: bucket, credentials and permissions are proved before connecting, so before any lock.
      const refused = await store.checkWritable(ctx.signal);
      // As restore's verification: the refusal reaches logs and --summary-json, not only the terminal.
      for (const failure of refused) ctx.events({ type: 'failure', error: failure });
      if (refused.length > 0) return { failures: refused, exitCode: 1 };
      return whenOpen(session, (deployment) =>
        backup(ctx, deployment, {
          deploymentName: scope.name,
          store,
          manifestText: flags.withManifest ? scope.manifestText : undefined,
          unsafeLockFree: flags.unsafeLockFree,
          remoteCompression: flags.remoteCompression,
          withReleases: scope.withReleases,
        }),
      );
    },
  };
}

/** `backup --dry-run`: the checks and the plan, no lock, backup or unlock script. */
export function backupDryRunWorkflow(flags: Pick<BackupFlags, 'artifactPath' | 'storage'>): Workflow {
  return {
    dryRun: true,
    async run(session) {
      const { ctx, scope } = session;
      const store = await storeFor(ctx, flags.artifactPath, flags.storage);
      const refused = await store.checkWritable(ctx.signal);
      if (refused.length > 0) return { failures: refused, exitCode: 1 };
      return whenOpen(session, (deployment) => planBackup(ctx, deployment, { deploymentName: scope.name, store, withReleases: scope.withReleases }));
    },
  };
}

export function preBackupCheckWorkflow(): Workflow {
  return {
    run: (session) =>
      whenOpen(session, (deployment) => preBackupCheck(session.ctx, deployment, { deploymentName: session.scope.name, withReleases: session.scope.withReleases })),
  };
}

interface RestoreFlags {
  artifactPath: string;
  storage?: StorageFlags;
  identity?: string;
}

/** What restore and drill restore: the backup at the artifact path, read through --identity when encrypted. */
function restoreRequest(session: Session, flags: RestoreFlags): RestoreRequest {
  return {
    deploymentName: session.scope.name,
    withReleases: session.scope.withReleases,
    // An encrypted backup is read through --identity; without it, or with one that does not open it, the
    // restore stops before connecting (so before any lock).
    openBackup: async () => openForReading((await storeFor(session.ctx, flags.artifactPath, flags.storage)).backup(), flags.identity),
  };
}

/** Restore verifies the whole artifact offline first: a damaged backup never reaches an instance. */
export function restoreWorkflow(flags: RestoreFlags): Workflow {
  return { run: (session) => restore(session, restoreRequest(session, flags)) };
}

export interface DrillFlags extends RestoreFlags {
  verify: string;
  verifyOn?: string;
  verifyTimeoutMs?: number;
}

/** A drill is a restore (same offline verification first) followed by the operator's check, both timed. */
export function drillWorkflow(flags: DrillFlags): Workflow {
  return {
    run: (session) =>
      drill(session, {
        restore: restoreRequest(session, flags),
        artifactDir: flags.artifactPath,
        verifyCommand: flags.verify,
        verifyOn: flags.verifyOn,
        verifyTimeoutMs: flags.verifyTimeoutMs,
        runLocally: runLocalCommand,
      }),
  };
}

/** backup-cleanup / restore-cleanup: unlock every job, remove leftover remote artifact directories. */
export function cleanupWorkflow(verb: 'backup-cleanup' | 'restore-cleanup'): Workflow {
  const clean = verb === 'backup-cleanup' ? backupCleanup : restoreCleanup;
  return {
    run: (session) => whenOpen(session, (deployment) => clean(session.ctx, deployment, { deploymentName: session.scope.name, withReleases: session.scope.withReleases })),
  };
}
