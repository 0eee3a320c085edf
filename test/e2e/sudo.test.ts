// Issue 2: when the SSH user is not root, every command runs through passwordless `sudo -n`. A real
// non-root account on the instances (127.0.8.21-23) with a real sudoers entry; the job scripts write to
// root-owned folders, so the backup only succeeds if they really ran as root.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { startExampleFleet } from '../support/deployments.js';
import { pidsRunning } from '../support/faults.js';

const USER = 'bbr-ts-operator';
const SUDOERS = `/etc/sudoers.d/${USER}`;
let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  await execa('id', [USER]).catch(() => execa('useradd', ['--create-home', '--shell', '/bin/sh', USER]));
  // useradd leaves the password locked ('!'), and sshd without PAM refuses locked accounts even for keys.
  await execa('usermod', ['-p', '*', USER]);
  await writeFile(SUDOERS, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  ({ fleet, flags } = await startExampleFleet('127.0.8'));
  flags = flags.map((f) => (f === 'root' ? USER : f));
});

afterAll(async () => {
  await fleet?.stop();
  await rm(SUDOERS, { force: true });
});

describe('non-root SSH user', () => {
  it('backs up through sudo, the scripts running as root', async () => {
    const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-sudo-'));
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', target]);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const [dir] = await readdir(target);
    expect((await readdir(path.join(target, dir!))).sort()).toEqual([
      'database-0-database.tar',
      'metadata',
      'web-0-web-server.tar',
      'web-1-web-server.tar',
    ]);
    const scripts = (await fleet.events('database/0')).map((e) => e.script);
    expect(scripts).toEqual(['metadata', 'pre-backup-lock', 'backup', 'post-backup-unlock']);
  });

  it('stops a timed-out script through sudo: its root-owned process group is killed', async () => {
    await fleet.setFault('web/1', 'web-server', 'backup', 'sleep 6018');
    try {
      const target = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-sudo-'));
      const result = await runBbrTs(['deployment', ...flags, '--script-timeout', '2', 'backup', '-a', target]);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/backup script of job 'web-server' on web\/1 timed out/);
      expect(await pidsRunning(['sleep', '6018'])).toEqual([]);
    } finally {
      await fleet.clearFaults('web/1');
    }
  });

  it('says so clearly when the user may not use sudo', async () => {
    await rm(SUDOERS, { force: true });
    try {
      const result = await runBbrTs(['deployment', ...flags, 'pre-backup-check']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/finding scripts failed on database\/0: sudo: a password is required/);
      expect(result.stderr).toMatch(/passwordless sudo/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await writeFile(SUDOERS, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    }
  });
});
