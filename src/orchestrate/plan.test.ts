// findArtifactNameProblems: the artifact file names of a backup, checked before anything is locked.
import { describe, expect, it } from 'vitest';
import { findArtifactNameProblems } from './plan.js';

const job = (group: string, index: number, name: string, custom = false) => ({
  group,
  index,
  name,
  release: 'rel',
  instance: `${group}/${index}`,
  backupOneRestoreAll: custom,
  bootstrap: custom && index === 0,
});

describe('findArtifactNameProblems', () => {
  it('accepts distinct names', () => {
    expect(findArtifactNameProblems([job('db', 0, 'j'), job('db', 1, 'j'), job('web', 0, 'j')])).toEqual([]);
  });

  it('names both jobs when <group>-<index>-<job>.tar collide', () => {
    const [problem, ...rest] = findArtifactNameProblems([job('db', 0, '0-j'), job('db-0', 0, 'j')]);
    expect(rest).toEqual([]);
    expect(problem?.message).toBe("job '0-j' on db/0 and job 'j' on db-0/0 would both be saved as db-0-0-j.tar");
    expect(problem?.hint).toMatch(/rename an instance group or job/);
  });

  it('reports a custom artifact that meets an instance artifact, and refuses a release that is not a name', () => {
    // Job 'a' of release '0' backs up into a-0-backup-one-restore-all.tar, which is also group a, index 0, job
    // 'backup-one-restore-all'.
    const custom = { ...job('g', 0, 'a', true), release: '0' };
    expect(findArtifactNameProblems([custom, job('a', 0, 'backup-one-restore-all')]).map((p) => p.message)).toEqual([
      "custom artifact 'a-0-backup-one-restore-all' of job 'a' on g/0 and job 'backup-one-restore-all' on a/0 would both be saved as a-0-backup-one-restore-all.tar",
    ]);
    expect(findArtifactNameProblems([{ ...job('g', 0, 'a', true), release: '../x' }]).map((p) => p.message)).toEqual([
      `job 'a' on g/0 cannot be backed up: its custom artifact name "a-../x-backup-one-restore-all" cannot be used: it contains '/'`,
    ]);
  });

  it('refuses a name longer than a file name may be', () => {
    const [problem] = findArtifactNameProblems([job('g', 0, 'j'.repeat(248))]);
    expect(problem?.message).toMatch(/^job 'j+' on g\/0 cannot be backed up: its artifact file name g-0-j+\.tar cannot be used: it is 256 bytes long; at most 255 are allowed$/);
  });
});
