// An interrupted restore names the jobs that may still be locked and asks for restore-cleanup (the remedy the
// CLI turns into the command to paste), as an interrupted backup does with backup-cleanup.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localBackup, localStore } from '../../src/artifact/local-store.js';
import { parseBackupMetadata } from '../../src/artifact/metadata-file.js';
import { CancelledError } from '../../src/errors.js';
import { backup } from '../../src/orchestrate/backup.js';
import type { RunContext } from '../../src/orchestrate/context.js';
import { openDeployment } from '../../src/orchestrate/open-deployment.js';
import { restoreVerified } from '../../src/orchestrate/restore.js';
import { MemoryFleet } from '../support/memory-instance.js';
import { useScratchDir } from '../support/scratch-dir.js';

const SCRIPTS = ['backup', 'restore', 'pre-restore-lock', 'post-restore-unlock'] as const;

function context(run = new AbortController()): RunContext {
  return { events: () => {}, signal: run.signal, forceSignal: new AbortController().signal, parallelism: 1, scriptTimeoutMs: undefined, bbrTsVersion: '0.0.0-test' };
}

describe('an interrupted restore', () => {
  const scratch = useScratchDir('bbr-ts-restore-interrupt-');

  it('names the jobs whose unlock did not succeed and asks for restore-cleanup', async () => {
    const fleet = new MemoryFleet([{ group: 'db', index: 0, jobs: [{ name: 'database', scripts: [...SCRIPTS] }] }]);
    const taken = await openDeployment(context(), { targets: fleet.targets(), connect: fleet.connect, withReleases: true });
    const stored = await backup(context(), taken.deployment, { deploymentName: 'films', store: localStore(scratch()), unsafeLockFree: false, withReleases: true });
    expect(stored.failures).toEqual([]);

    // The operator's Ctrl-C arrives during the restore script; the unlock that follows fails.
    const run = new AbortController();
    fleet.fault({ kind: 'script', script: 'restore' }, { abort: run });
    fleet.fault({ kind: 'script', script: 'post-restore-unlock' }, { fail: 'unlock refused' });
    const ctx = context(run);
    const opened = await openDeployment(context(), { targets: fleet.targets(), connect: fleet.connect, withReleases: true });
    const dir = stored.artifactPath!;
    const outcome = await restoreVerified(ctx, opened.deployment, {
      deploymentName: 'films',
      withReleases: true,
      backup: localBackup(dir),
      metadata: parseBackupMetadata(await readFile(path.join(dir, 'metadata'), 'utf8'), 'metadata'),
    });
    const cancelled = outcome.failures.find((f) => f instanceof CancelledError);
    expect(cancelled?.hint).toBe('these jobs may still be locked: database on db/0; run the restore-cleanup command below to unlock them');
    expect(cancelled?.remedy).toBe('restore-cleanup');
  });
});
