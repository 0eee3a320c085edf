// The workflows a subcommand can run, bound to their flags; the same ones serve deployment and director mode.
import { verifyBackup } from '../artifact/verify.js';
import type { RemoteCompression } from '../artifact/remote-compression.js';
import type { BackupMetadata } from '../artifact/metadata-file.js';
import { backup } from '../orchestrate/backup.js';
import { backupCleanup, restoreCleanup } from '../orchestrate/cleanup.js';
import { planBackup } from '../orchestrate/backup-dry-run.js';
import { runLocalCommand } from '../instance/local-command.js';
import { drill } from '../orchestrate/drill.js';
import { preBackupCheck } from '../orchestrate/pre-backup-check.js';
import { restore } from '../orchestrate/restore.js';
import type { ArtifactStore, StoredBackup } from '../orchestrate/artifact-store.js';
import type { RunContext } from '../orchestrate/context.js';
import type { Workflow } from './run-operation.js';
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
  let store: ArtifactStore | undefined;
  return {
    // Two backups of one deployment into one artifact path never overlap (issue 16): a lock file in a local
    // artifact path, lock objects under an s3:// one (artifact/run-lock.ts, artifact/s3-run-lock.ts).
    acquireRunLock: async (deployment, report) => (await openStore(flags.artifactPath, flags.storage, report)).acquireRunLock?.(deployment, report),
    // Object storage: bucket, credentials and permissions are proved before connecting, so before any lock.
    async preflight(ctx) {
      // Encryption and compression at rest are layers over the store; a wrong recipient is refused here.
      store = await storeForBackup(await storeFor(ctx, flags.artifactPath, flags.storage), flags.encryption);
      const refused = await store.checkWritable(ctx.signal);
      // As restore's verification: the refusal reaches logs and --summary-json, not only the terminal.
      for (const failure of refused) ctx.events({ type: 'failure', error: failure });
      return refused;
    },
    run: async (ctx, deployment, scope) =>
      backup(ctx, deployment, {
        deploymentName: scope.name,
        store: store ?? (await storeFor(ctx, flags.artifactPath, flags.storage)),
        manifestText: flags.withManifest ? scope.manifestText : undefined,
        unsafeLockFree: flags.unsafeLockFree,
        remoteCompression: flags.remoteCompression,
        withReleases: scope.withReleases,
      }),
  };
}

/** `backup --dry-run`: the checks and the plan, no lock, backup or unlock script. */
export function backupDryRunWorkflow(flags: Pick<BackupFlags, 'artifactPath' | 'storage'>): Workflow {
  let store: ArtifactStore | undefined;
  return {
    dryRun: true,
    async preflight(ctx) {
      store = await storeFor(ctx, flags.artifactPath, flags.storage);
      return store.checkWritable(ctx.signal);
    },
    run: async (ctx, deployment, scope) =>
      planBackup(ctx, deployment, {
        deploymentName: scope.name,
        store: store ?? (await storeFor(ctx, flags.artifactPath, flags.storage)),
        withReleases: scope.withReleases,
      }),
  };
}

export function preBackupCheckWorkflow(): Workflow {
  return {
    run: (ctx, deployment, scope) =>
      preBackupCheck(ctx, deployment, {
        deploymentName: scope.name,
        withReleases: scope.withReleases,
      }),
  };
}

/** Restore verifies the whole artifact offline first: a damaged backup never reaches an instance. */
export function restoreWorkflow(flags: { artifactPath: string; storage?: StorageFlags; identity?: string }): Workflow {
  let metadata: BackupMetadata | undefined;
  let absentArtifacts: ReadonlySet<string> = new Set();
  let stored: StoredBackup | undefined;
  return {
    async preflight(ctx) {
      ctx.events({ type: 'phase-started', phase: 'verify' });
      const started = Date.now();
      // An encrypted backup is read through --identity; without it, or with one that does not open it, the
      // restore stops here, before connecting (so before any lock).
      stored = await openForReading((await storeFor(ctx, flags.artifactPath, flags.storage)).backup(), flags.identity);
      // Object storage: metadata, object list and sizes here; each tar's bytes on the way to its instance,
      // before anything is locked (reading everything twice would double the transfer).
      const verified = await verifyBackup(stored, { signal: ctx.signal, contents: stored.cheapToRead ? undefined : false });
      for (const failure of verified.failures) ctx.events({ type: 'failure', error: failure });
      ctx.events({ type: 'phase-finished', phase: 'verify', durationMs: Date.now() - started, failures: verified.failures.length });
      metadata = verified.metadata;
      absentArtifacts = new Set(verified.verdicts.filter((v) => v.absent).map((v) => v.file));
      return verified.failures;
    },
    run: (ctx, deployment, scope) =>
      restore(ctx, deployment, {
        deploymentName: scope.name,
        backup: stored!,
        metadata: metadata!,
        absentArtifacts,
        withReleases: scope.withReleases,
      }),
  };
}

export interface DrillFlags {
  artifactPath: string;
  storage?: StorageFlags;
  verify: string;
  verifyOn?: string;
  verifyTimeoutMs?: number;
  identity?: string;
}

/** A drill is a restore (same offline verification first) followed by the operator's check, both timed. */
export function drillWorkflow(flags: DrillFlags): Workflow {
  const restoring = restoreWorkflow({ artifactPath: flags.artifactPath, storage: flags.storage, identity: flags.identity });
  return {
    preflight: restoring.preflight,
    run: (ctx, deployment, scope) =>
      drill(ctx, deployment, {
        deploymentName: scope.name,
        artifactDir: flags.artifactPath,
        verifyCommand: flags.verify,
        verifyOn: flags.verifyOn,
        verifyTimeoutMs: flags.verifyTimeoutMs,
        runLocally: runLocalCommand,
        restore: () => restoring.run(ctx, deployment, scope),
      }),
  };
}

/** backup-cleanup / restore-cleanup: unlock every job, remove leftover remote artifact directories. */
export function cleanupWorkflow(verb: 'backup-cleanup' | 'restore-cleanup'): Workflow {
  const clean = verb === 'backup-cleanup' ? backupCleanup : restoreCleanup;
  return {
    run: (ctx, deployment, scope) =>
      clean(ctx, deployment, { deploymentName: scope.name, withReleases: scope.withReleases }),
  };
}
