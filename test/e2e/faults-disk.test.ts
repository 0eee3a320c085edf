// Issue 4, the artifact disk filling up during drain (a 2 MiB tmpfs), against real sshd instances
// (127.0.24.21-23): a clear "artifact path is full" error, unlock already done, remote leftovers removed,
// and nothing that looks like a complete backup.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { startExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];
let small: string | undefined;

beforeAll(async () => {
  ({ fleet, flags } = await startExampleFleet('127.0.24'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-tmpfs-'));
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dir]);
  small = dir;
});
afterAll(async () => {
  if (small) {
    await execa('umount', [small]);
    await rm(small, { recursive: true, force: true });
  }
  await fleet?.stop();
});

describe('a full artifact disk', () => {
  it('fails the drain with a clear message and leaves only a .failed directory', async () => {
    // 3 MiB more on the database instance: more than the 2 MiB the artifact path holds.
    await fleet.setFault('database/0', 'database', 'backup', 'mkdir -p "$BBR_ARTIFACT_DIRECTORY"; head -c 3145728 /dev/urandom >"$BBR_ARTIFACT_DIRECTORY/extra.bin"');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', small!]);

    expect(result.exitCode & 1).toBe(1);
    expect(result.stderr).toMatch(/artifact path is full: no space left on device while writing .*database-0-database\.tar \(job 'database' on database\/0\)/);
    expect(result.stderr).toMatch(/next step: free space in .* or pass --artifact-path on a bigger disk/);
    expect(result.stderr).not.toMatch(/internal error/);
    for (const i of fleet.instances) {
      const unlocks = (await fleet.events(i.name)).filter((e) => e.script === 'post-backup-unlock');
      expect(unlocks.map((e) => e.fields.successful), i.name).toEqual(['true']);
      expect(existsSync(path.join(i.dir, 'sys', 'run', `${i.jobs[0]}.locked`)), i.name).toBe(false);
      expect(existsSync(path.join(i.dir, 'store', 'bbr-backup')), i.name).toBe(false);
    }
    expect(await readdir(small!)).toEqual([expect.stringMatching(/^example_\d{8}T\d{6}Z\.failed$/)]);
  });
});
