// Job fixtures with names chosen by a test (long, colliding, hostile), for e2e tests of how bbr-ts treats
// names that come from instances. The scripts behave like fixtures/jobs/web-server (events, lock file, fault
// hook, data under /var/vcap/store) but record events under a short `tag`, so the event log stays parseable
// whatever the job's directory is called.
import { chmod, cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

const SCRIPTS = ['metadata', 'pre-backup-lock', 'backup', 'post-backup-unlock', 'pre-restore-lock', 'restore', 'post-restore-unlock'];

function scriptText(tag: string, script: string): string {
  const fields =
    script === 'post-backup-unlock'
      ? 'successful=${BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL:-unset}'
      : script === 'backup' || script === 'restore'
        ? 'artifact_dir=${BBR_ARTIFACT_DIRECTORY:-unset}'
        : '';
  const body: Record<string, string> = {
    metadata: "echo '---'",
    'pre-backup-lock': `mkdir -p /var/vcap/sys/run; touch /var/vcap/sys/run/${tag}.locked`,
    'pre-restore-lock': `mkdir -p /var/vcap/sys/run; touch /var/vcap/sys/run/${tag}.locked`,
    'post-backup-unlock': `rm -f /var/vcap/sys/run/${tag}.locked`,
    'post-restore-unlock': `rm -f /var/vcap/sys/run/${tag}.locked`,
    backup: `mkdir -p "$BBR_ARTIFACT_DIRECTORY"; if [ -d /var/vcap/store/${tag} ]; then cp -a /var/vcap/store/${tag}/. "$BBR_ARTIFACT_DIRECTORY"; fi`,
    restore: `mkdir -p /var/vcap/store/${tag}; cp -a "\${BBR_ARTIFACT_DIRECTORY%/}/." /var/vcap/store/${tag}/`,
  };
  return [
    '#!/bin/sh',
    `# ${script} of a crafted test job (test/support/crafted-jobs.ts); events are recorded as '${tag}'.`,
    'set -eu',
    'mkdir -p /var/vcap/sys/log',
    `printf '%s %s %s %s\\n' "$(date +%s%N)" ${tag} ${script} "${fields}" >>/var/vcap/sys/log/bbr-events.log`,
    `if [ -f /var/vcap/faults/${tag}/${script} ]; then . /var/vcap/faults/${tag}/${script}; fi`,
    body[script],
    '',
  ].join('\n');
}

/** Writes `<jobDir>/bin/bbr/*`: every contract script, recording events as `tag`. */
export async function writeCraftedJob(jobDir: string, tag: string): Promise<void> {
  const bin = path.join(jobDir, 'bin', 'bbr');
  await mkdir(bin, { recursive: true });
  for (const script of SCRIPTS) {
    const file = path.join(bin, script);
    await writeFile(file, scriptText(tag, script));
    await chmod(file, 0o755);
  }
}

/** A jobs folder for startFleet's jobsDir: the example's jobs plus crafted ones (`name` → `tag`). */
export async function craftedJobsDir(crafted: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-jobs-'));
  await cp(path.join(REPO_ROOT, 'fixtures', 'jobs'), dir, { recursive: true });
  for (const [name, tag] of Object.entries(crafted)) await writeCraftedJob(path.join(dir, name), tag);
  return dir;
}
