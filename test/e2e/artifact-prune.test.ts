// Issue 16, retention: `bbr-ts artifact prune` on a real artifact path holding the fixed 40-backup history
// (test/support/backup-history.ts), built as real directories, with things beside it that prune must never touch.
// Offline: no fleet is needed.
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPLETE, HISTORY, historyName, POLICY_A_FLAGS, POLICY_A_KEEP, UNFINISHED_KEPT, type HistoryItem } from '../support/backup-history.js';
import { execa } from 'execa';
import { BIN, runBbrTs } from '../support/cli.js';
import { useScratchDir } from '../support/scratch-dir.js';

const scratch = useScratchDir('bbr-ts-prune-');

async function buildBackup(root: string, item: HistoryItem, deployment = 'cf'): Promise<string> {
  const dir = path.join(root, historyName(item, deployment));
  await mkdir(dir);
  await writeFile(path.join(dir, 'web-0-app.tar'), `tar of ${item.stamp}`);
  // An incomplete backup has a final name but no metadata file (copied half-way, say).
  if (item.state !== 'incomplete') await writeFile(path.join(dir, 'metadata'), 'instances: []\n');
  return dir;
}

/** The artifact path: the 40 backups of cf, and what is not a backup of cf. */
async function buildArtifactPath(): Promise<{ root: string; outside: string }> {
  const root = path.join(scratch(), 'backups');
  const outside = path.join(scratch(), 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, 'precious'), 'not a backup');
  for (const item of HISTORY) await buildBackup(root, item);
  // Named like old backups of cf, but not directories of ours: never followed, never removed.
  await symlink(outside, path.join(root, 'cf_20200101T000000Z'));
  await writeFile(path.join(root, 'cf_20200102T000000Z'), 'a file');
  // Not backup names at all: a day that does not exist, a name without a timestamp, our lock file.
  await mkdir(path.join(root, 'cf_20260231T000000Z'));
  await mkdir(path.join(root, 'notes'));
  // Another deployment: an old backup that --deployment cf must leave alone.
  await buildBackup(root, { stamp: '20240101T000000Z', state: 'complete' }, 'uaa');
  await buildBackup(root, { stamp: '20250101T000000Z', state: 'complete' }, 'uaa');
  return { root, outside };
}

const NEVER_TOUCHED = ['cf_20200101T000000Z', 'cf_20200102T000000Z', 'cf_20260231T000000Z', 'notes'];
const keptNames = () => [
  ...Object.keys(POLICY_A_KEEP).map((n) => `cf_${COMPLETE[Number(n)]}`),
  ...UNFINISHED_KEPT.map((item) => historyName(item)),
];

describe('artifact prune (local)', () => {
  it('--dry-run prints a verdict per backup and removes nothing', async () => {
    const { root } = await buildArtifactPath();
    const before = (await readdir(root)).sort();
    const run = await runBbrTs(['artifact', 'prune', root, '--deployment', 'cf', ...POLICY_A_FLAGS, '--dry-run']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect((await readdir(root)).sort()).toEqual(before);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(41);
    expect(lines).toContain(`cf_${COMPLETE[9]}: keep (daily #5, weekly #2)`);
    expect(lines).toContain(`cf_${COMPLETE[6]}: would remove (not kept by any rule)`);
    expect(lines).toContain('cf_20260320T120000Z.partial: keep (partial, newer than the newest complete backup)');
    expect(lines).toContain('cf_20260312T000000Z.failed: would remove (failed, older than the newest complete backup)');
    expect(lines.at(-1)).toBe('17 kept, 23 would be removed (dry run: nothing removed)');
  });

  it('keeps exactly what restic keeps of the 40 backups, and nothing that is not a backup of cf is touched', async () => {
    const { root, outside } = await buildArtifactPath();
    const run = await runBbrTs(['artifact', 'prune', root, '--deployment', 'cf', ...POLICY_A_FLAGS]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`cf_${COMPLETE[27]}: removed (not kept by any rule)`);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('17 kept, 23 removed');
    const left = (await readdir(root)).sort();
    expect(left).toEqual([...keptNames(), ...NEVER_TOUCHED, 'uaa_20240101T000000Z', 'uaa_20250101T000000Z'].sort());
    // What was kept is whole, and the symlink's target is untouched.
    expect(await readFile(path.join(root, `cf_${COMPLETE[26]}`, 'metadata'), 'utf8')).toBe('instances: []\n');
    expect((await lstat(path.join(root, 'cf_20200101T000000Z'))).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(outside, 'precious'), 'utf8')).toBe('not a backup');
  });

  it('without --deployment every deployment is pruned on its own; a leftover of an interrupted prune is removed', async () => {
    const { root } = await buildArtifactPath();
    await mkdir(path.join(root, 'cf_20240601T000000Z.removing'));
    const run = await runBbrTs(['artifact', 'prune', root, '--keep-last', '1']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('uaa_20250101T000000Z: keep (last #1)');
    expect(run.stdout).toContain('uaa_20240101T000000Z: removed (not kept by any rule)');
    expect(run.stdout).toContain('cf_20240601T000000Z.removing: removed (left half-removed by an interrupted prune)');
    expect((await readdir(root)).sort()).toEqual(
      [`cf_${COMPLETE[1]}`, ...UNFINISHED_KEPT.map((i) => historyName(i)), ...NEVER_TOUCHED, 'uaa_20250101T000000Z'].sort(),
    );
  });

  it('refuses an empty policy and bad numbers, removing nothing', async () => {
    const { root } = await buildArtifactPath();
    const before = (await readdir(root)).sort();
    for (const flags of [[], ['--keep-last', '0'], ['--keep-daily', '-1'], ['--keep-daily', '1.5']]) {
      const run = await runBbrTs(['artifact', 'prune', root, ...flags]);
      expect(run.exitCode, flags.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/--keep-/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await readdir(root)).sort()).toEqual(before);
  });
});

describe('artifact prune: a removal that fails', () => {
  it('is named, the others are still removed, and the exit status is not 0', async () => {
    const { root } = await buildArtifactPath();
    // A directory that is a mount point cannot be renamed (EBUSY). The mount lives only in the private mount
    // namespace of this one run (unshare -m), so nothing leaks if the test dies.
    const stuck = path.join(root, `cf_${COMPLETE[27]}`);
    const run = await execa('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" "$1" && shift && exec node "$@"', 'sh', stuck, BIN, 'artifact', 'prune', root, '--deployment', 'cf', ...POLICY_A_FLAGS], {
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`cf_${COMPLETE[27]}: NOT removed (not kept by any rule): see the errors below`);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('17 kept, 22 removed, 1 NOT removed');
    expect(run.stderr).toContain(`cannot remove "${stuck}"`);
    expect(run.stderr).toContain('next step:');
    // The one that could not be removed is whole and keeps its name; all the others the policy drops are gone.
    expect(await readFile(path.join(stuck, 'metadata'), 'utf8')).toBe('instances: []\n');
    expect((await readdir(root)).sort()).toEqual(
      [...keptNames(), `cf_${COMPLETE[27]}`, ...NEVER_TOUCHED, 'uaa_20240101T000000Z', 'uaa_20250101T000000Z'].sort(),
    );
  });
});
