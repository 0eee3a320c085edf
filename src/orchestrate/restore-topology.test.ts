// findRestoreMismatches: which backups fit which deployments, every mismatch listed at once.
import { describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../artifact/metadata-file.js';
import type { ScriptName } from '../contract/paths.js';
import { parseJobMetadata } from '../contract/metadata.js';
import { findRestoreMismatches } from './restore-topology.js';

const job = (instance: string, name: string, scripts: ScriptName[] = ['restore'], metadata = '') => ({
  name,
  instance,
  scripts: new Set(scripts),
  metadata: parseJobMetadata(metadata, { job: name, instance }),
});

const META: BackupMetadata = {
  instances: [
    { name: 'database', index: '0', artifacts: [{ name: 'database', checksums: {} }] },
    { name: 'web', index: '0', artifacts: [{ name: 'web-server', checksums: {} }] },
  ],
  customArtifacts: [],
  backupActivity: { startTime: new Date(0) },
};

const messages = (input: Parameters<typeof findRestoreMismatches>[0]) => findRestoreMismatches(input).map((e) => e.message);

describe('findRestoreMismatches', () => {
  it('accepts a deployment that matches, including instances without bbr jobs', () => {
    expect(
      messages({
        deploymentName: 'd',
        metadata: META,
        instances: ['database/0', 'web/0', 'router/0'],
        jobs: [job('database/0', 'database'), job('web/0', 'web-server'), job('web/0', 'only-locks', ['pre-restore-lock'])],
      }),
    ).toEqual([]);
  });

  it('lists every mismatch at once', () => {
    const meta: BackupMetadata = {
      ...META,
      instances: [...META.instances, { name: 'web', index: '3', artifacts: [{ name: 'web-server', checksums: {} }] }],
      customArtifacts: [{ name: 'blobs-bosh-backup-one-restore-all', checksums: {} }],
    };
    expect(
      messages({
        deploymentName: 'd',
        metadata: meta,
        instances: ['database/0', 'web/0', 'web/1'],
        jobs: [job('database/0', 'postgres'), job('web/0', 'web-server'), job('web/1', 'web-server')],
      }).map((m) => m.replace("deployment 'd' does not match the structure of the backup: ", '')),
    ).toEqual([
      'the backup has an artifact of job database on database/0, but database/0 has no job database with a restore script',
      'the backup has instance web/3, which the deployment does not have',
      'job postgres on database/0 has a restore script, but the backup holds no artifact for it',
      'job web-server on web/1 has a restore script, but the backup holds no artifact for it',
      'the backup has custom artifact blobs-bosh-backup-one-restore-all (backup_one_restore_all), which bbr-ts cannot restore',
    ]);
  });

  it('refuses a deployment without restore scripts and jobs that set restore_name', () => {
    const found = messages({
      deploymentName: 'd',
      metadata: { ...META, instances: [] },
      instances: ['database/0'],
      jobs: [job('database/0', 'database', ['backup'], 'restore_name: old')],
    });
    expect(found).toEqual([
      'job database on database/0 sets the discontinued metadata key restore_name; bbr cannot restore this backup artifact',
      "deployment 'd' has no restore scripts",
    ]);
  });
});
