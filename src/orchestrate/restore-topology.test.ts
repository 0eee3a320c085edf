// matchBackupToDeployment: which backups fit which deployments (BBR's rules), what is uploaded where, and what is
// left out and why.
import { describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../artifact/metadata-file.js';
import type { ScriptName } from '../contract/paths.js';
import { parseJobMetadata } from '../contract/metadata.js';
import { TopologyMismatchError } from '../errors.js';
import { matchBackupToDeployment, type TopologyInput } from './restore-topology.js';

interface JobOptions {
  scripts?: ScriptName[];
  metadata?: string;
  backupOneRestoreAll?: boolean;
  release?: string;
}

const job = (instance: string, name: string, options: JobOptions = {}) => {
  const [group = '', index = '0'] = instance.split('/');
  return {
    name,
    release: options.release ?? 'rel',
    instance,
    group,
    index: Number(index),
    scripts: new Set<ScriptName>(options.scripts ?? ['backup', 'restore']),
    metadata: parseJobMetadata(options.metadata ?? '', { job: name, instance }),
    backupOneRestoreAll: options.backupOneRestoreAll ?? false,
    bootstrap: index === '0',
  };
};
type Job = ReturnType<typeof job>;

const META: BackupMetadata = {
  instances: [
    { name: 'database', index: '0', artifacts: [{ name: 'database', checksums: {} }] },
    { name: 'web', index: '0', artifacts: [{ name: 'web-server', checksums: {} }] },
  ],
  customArtifacts: [],
  backupActivity: { startTime: new Date(0) },
};

const instances = (...names: string[]) => names.map((name) => ({ name, disabledJobs: [] as string[] }));

function match(input: Partial<TopologyInput<Job>> & Pick<TopologyInput<Job>, 'jobs'>) {
  const result = matchBackupToDeployment<Job>({ deploymentName: 'd', metadata: META, instances: instances('database/0', 'web/0'), ...input });
  return {
    // A structural difference is a TopologyMismatchError (drill tells it apart by class); others keep their message.
    failures: result.failures.map((e) => (e instanceof TopologyMismatchError ? e.problem : e.message)),
    uploads: result.sources.map((s) => `${s.job.instance} ${s.job.name} <- ${s.artifact.file} at ${s.artifact.remoteDir}`),
    skipped: result.skipped.map((s) => `${s.file}: ${s.reason}`),
  };
}

describe('matchBackupToDeployment', () => {
  it('uploads each restorable job its own artifact; instances without bbr jobs are fine', () => {
    expect(
      match({
        instances: instances('database/0', 'web/0', 'router/0'),
        jobs: [job('database/0', 'database'), job('web/0', 'web-server'), job('web/0', 'only-locks', { scripts: ['pre-restore-lock'] })],
      }),
    ).toEqual({
      failures: [],
      uploads: [
        'database/0 database <- database-0-database.tar at /var/vcap/store/bbr-backup/database/',
        'web/0 web-server <- web-0-web-server.tar at /var/vcap/store/bbr-backup/web-server/',
      ],
      skipped: [],
    });
  });

  it('skips, with the reason, artifacts of backup-only jobs, disabled jobs and jobs the instance no longer has (BBR ignores them)', () => {
    const meta: BackupMetadata = {
      ...META,
      instances: [
        { name: 'database', index: '0', artifacts: [{ name: 'database', checksums: {} }, { name: 'agent', checksums: {} }, { name: 'gone', checksums: {} }] },
        { name: 'web', index: '0', artifacts: [{ name: 'web-server', checksums: {} }] },
      ],
    };
    const result = match({
      metadata: meta,
      instances: [{ name: 'database/0', disabledJobs: [] }, { name: 'web/0', disabledJobs: ['web-server'] }],
      jobs: [job('database/0', 'database'), job('database/0', 'agent', { scripts: ['backup'] })],
    });
    expect(result.failures).toEqual([]);
    expect(result.uploads).toEqual(['database/0 database <- database-0-database.tar at /var/vcap/store/bbr-backup/database/']);
    expect(result.skipped).toEqual([
      'database-0-agent.tar: job agent on database/0 has no restore script (it backs up only)',
      'database-0-gone.tar: database/0 has no job gone with bbr scripts',
      'web-0-web-server.tar: job web-server on web/0 prints skip_bbr_scripts: true in its metadata',
    ]);
  });

  it('refuses what BBR refuses: missing instances, restorable jobs without an artifact, and lists them all', () => {
    const meta: BackupMetadata = { ...META, instances: [...META.instances, { name: 'web', index: '3', artifacts: [{ name: 'web-server', checksums: {} }] }] };
    expect(
      match({
        metadata: meta,
        instances: instances('database/0', 'web/0', 'web/1'),
        jobs: [job('database/0', 'postgres'), job('web/0', 'web-server'), job('web/1', 'web-server')],
      }),
    ).toEqual({
      failures: [
        'the backup has instance web/3, which the deployment does not have',
        'job postgres on database/0 has a restore script, but the backup holds no artifact for it',
        'job web-server on web/1 has a restore script, but the backup holds no artifact for it',
      ],
      uploads: ['web/0 web-server <- web-0-web-server.tar at /var/vcap/store/bbr-backup/web-server/'],
      skipped: ['database-0-database.tar: database/0 has no job database with bbr scripts'],
    });
  });

  it('refuses restore_name only on instances with a restore script, and a deployment without restore scripts', () => {
    expect(match({ jobs: [job('database/0', 'database', { scripts: ['backup'], metadata: 'restore_name: old' })] }).failures).toEqual([
      "deployment 'd' has no restore scripts",
    ]);
    expect(
      match({ jobs: [job('database/0', 'database'), job('database/0', 'legacy', { scripts: ['backup'], metadata: 'restore_name: old' }), job('web/0', 'web-server')] })
        .failures,
    ).toEqual(['job legacy on database/0 sets the discontinued metadata key restore_name; bbr cannot restore this backup artifact']);
  });

  it('backup_one_restore_all: every instance restores from the custom artifact; the others\' own artifacts are skipped', () => {
    const meta: BackupMetadata = {
      ...META,
      instances: [{ name: 'web', index: '1', artifacts: [{ name: 'web-server', checksums: {} }] }],
      customArtifacts: [{ name: 'web-server-rel-backup-one-restore-all', checksums: { './a': 'f'.repeat(64) } }],
    };
    const jobs = [job('web/0', 'web-server', { backupOneRestoreAll: true }), job('web/1', 'web-server', { backupOneRestoreAll: true })];
    const result = matchBackupToDeployment<Job>({ deploymentName: 'd', metadata: meta, instances: instances('web/0', 'web/1'), jobs });
    expect(result.failures).toEqual([]);
    expect(result.sources.map((s) => [s.job.instance, s.artifact.file, s.artifact.remoteDir, s.checksums])).toEqual([
      ['web/0', 'web-server-rel-backup-one-restore-all.tar', '/var/vcap/store/bbr-backup/web-server-rel-backup-one-restore-all/', { './a': 'f'.repeat(64) }],
      ['web/1', 'web-server-rel-backup-one-restore-all.tar', '/var/vcap/store/bbr-backup/web-server-rel-backup-one-restore-all/', { './a': 'f'.repeat(64) }],
    ]);
    expect(result.skipped.map((s) => `${s.file}: ${s.reason}`)).toEqual([
      'web-1-web-server.tar: job web-server on web/1 restores from custom artifact web-server-rel-backup-one-restore-all (backup_one_restore_all)',
    ]);

    // Without the custom artifact (or with the property dropped from the manifest), BBR fails reading the tar.
    expect(match({ metadata: { ...meta, customArtifacts: [] }, instances: instances('web/0', 'web/1'), jobs }).failures).toEqual([
      'job web-server on web/0 restores from custom artifact web-server-rel-backup-one-restore-all (backup_one_restore_all in the manifest), but the backup holds no web-server-rel-backup-one-restore-all.tar',
      'job web-server on web/1 restores from custom artifact web-server-rel-backup-one-restore-all (backup_one_restore_all in the manifest), but the backup holds no web-server-rel-backup-one-restore-all.tar',
    ]);
    const plain = [job('web/0', 'web-server'), job('web/1', 'web-server')];
    const dropped = match({ metadata: meta, instances: instances('web/0', 'web/1'), jobs: plain });
    expect(dropped.failures).toEqual(['job web-server on web/0 has a restore script, but the backup holds no artifact for it']);
    expect(dropped.skipped).toEqual([
      'web-server-rel-backup-one-restore-all.tar: custom artifact web-server-rel-backup-one-restore-all: no job with a restore script restores from it (backup_one_restore_all)',
    ]);
  });

  it('skips a custom artifact listed without files and absent (Go bbr\'s mysql-restore case)', () => {
    const meta: BackupMetadata = { ...META, customArtifacts: [{ name: 'mysql-artifact', checksums: {} }] };
    const result = match({ metadata: meta, jobs: [job('database/0', 'database'), job('web/0', 'web-server')], absentArtifacts: new Set(['mysql-artifact.tar']) });
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual([
      'mysql-artifact.tar: custom artifact mysql-artifact (listed without files and absent, as Go bbr writes for mysql-restore): no job with a restore script restores from it (backup_one_restore_all)',
    ]);
  });
});
