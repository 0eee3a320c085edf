// Issue 16, retention in object storage: `bbr-ts artifact prune s3://...` on the fixed 40-backup history
// (test/support/backup-history.ts) written as objects into a real S3 server (Swift + s3api on 127.0.73.1):
// complete backups have `metadata`, failed ones the `.bbr-ts-failed` marker, partial and incomplete ones
// neither. It keeps exactly what restic keeps; another deployment and other keys are never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETE, HISTORY, POLICY_A_FLAGS, POLICY_A_KEEP, UNFINISHED_KEPT, type HistoryItem } from '../support/backup-history.js';
import { runBbrTs } from '../support/cli.js';
import { startS3Server, swiftInstalled, type S3Server } from '../support/s3-server.js';

let s3: S3Server;
const BUCKET = 'retention';

beforeAll(async () => {
  if (!swiftInstalled()) throw new Error('swift-proxy-server is missing: scripts/test.sh installs the swift packages');
  s3 = await startS3Server({ ip: '127.0.73.1' });
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  await s3?.stop();
});

const bbr = (args: string[]) => runBbrTs([...args, ...s3.flags], { env: s3.env() });

async function writeBackup(prefix: string, item: HistoryItem, deployment = 'cf'): Promise<void> {
  const dir = `${prefix}/${deployment}_${item.stamp}`;
  await s3.put(BUCKET, `${dir}/web-0-app.tar`, `tar of ${item.stamp}`);
  if (item.state === 'complete') await s3.put(BUCKET, `${dir}/metadata`, 'instances: []\n');
  if (item.state === 'failed') await s3.put(BUCKET, `${dir}/.bbr-ts-failed`, 'failed\n');
}

async function writeHistory(prefix: string): Promise<void> {
  for (const item of HISTORY) await writeBackup(prefix, item);
  await writeBackup(prefix, { stamp: '20240101T000000Z', state: 'complete' }, 'uaa');
  await s3.put(BUCKET, `${prefix}/notes.txt`, 'not a backup');
  await s3.put(BUCKET, `${prefix}-other/cf_20200101T000000Z/metadata`, 'beside the prefix: never touched');
}

/** Backup names left under the prefix (from the keys). */
async function backupsLeft(prefix: string): Promise<string[]> {
  const names = new Set((await s3.list(BUCKET, `${prefix}/`)).map((o) => o.key.slice(prefix.length + 1).split('/')[0]!));
  return [...names].sort();
}

const keptCf = () => [...Object.keys(POLICY_A_KEEP).map((n) => `cf_${COMPLETE[Number(n)]}`), ...UNFINISHED_KEPT.map((i) => `cf_${i.stamp}`)];

describe('artifact prune (S3)', () => {
  it('--dry-run: a verdict per backup, nothing removed', async () => {
    await writeHistory('dry');
    const before = await s3.list(BUCKET, 'dry/');
    const run = await bbr(['artifact', 'prune', `s3://${BUCKET}/dry`, '--deployment', 'cf', ...POLICY_A_FLAGS, '--dry-run']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`cf_${COMPLETE[9]}: keep (daily #5, weekly #2)`);
    expect(run.stdout).toContain('cf_20260312T000000Z: would remove (failed, older than the newest complete backup)');
    expect(run.stdout).toContain('cf_20260320T120000Z: keep (incomplete, newer than the newest complete backup)');
    expect(run.stdout.trim().split('\n').at(-1)).toBe('17 kept, 23 would be removed (dry run: nothing removed)');
    expect(await s3.list(BUCKET, 'dry/')).toEqual(before);
  });

  it('keeps exactly what restic keeps of the 40 backups; nothing else under or beside the prefix is touched', async () => {
    await writeHistory('real');
    const run = await bbr(['artifact', 'prune', `s3://${BUCKET}/real`, '--deployment', 'cf', ...POLICY_A_FLAGS]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('17 kept, 23 removed');
    expect(await backupsLeft('real')).toEqual([...keptCf(), 'notes.txt', 'uaa_20240101T000000Z'].sort());
    // Every object of a kept backup is still there.
    const kept = `real/cf_${COMPLETE[26]}`;
    expect((await s3.list(BUCKET, `${kept}/`)).map((o) => o.key).sort()).toEqual([`${kept}/metadata`, `${kept}/web-0-app.tar`]);
    expect((await s3.list(BUCKET, 'real-other/')).map((o) => o.key)).toEqual(['real-other/cf_20200101T000000Z/metadata']);
    // What `artifact list` sees agrees.
    const listed = await bbr(['artifact', 'list', `s3://${BUCKET}/real`]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).not.toContain(`cf_${COMPLETE[27]}`);
  });
});
