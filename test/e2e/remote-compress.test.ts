// Issue 17: `backup --remote-compress gzip|zstd` against real sshd instances (127.0.58.21-23). The instance
// compresses, bbr-ts stores the same plain tar BBR restores, and an instance without the tool sends the plain tar.
import { chmod, copyFile, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { startExampleFleet, tempArtifactsDir } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];
let scratch: string;

beforeAll(async () => {
  ({ fleet, flags } = await startExampleFleet('127.0.58'));
  scratch = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-compress-'));
});
afterAll(async () => {
  await fleet?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** Replaces `/usr/bin/<tool>` inside one instance's own mount namespace (its sshd runs under `unshare -m`). */
async function replaceTool(instance: string, tool: string, replacement: string) {
  await execa('nsenter', ['-t', String(fleet.instance(instance).pid), '-m', 'mount', '--bind', replacement, `/usr/bin/${tool}`]);
}
async function restoreTool(instance: string, tool: string) {
  await execa('nsenter', ['-t', String(fleet.instance(instance).pid), '-m', 'umount', `/usr/bin/${tool}`]);
}

/** Every .tar of the backup starts as `tar -c .` output does ("./"), and `artifact verify` accepts the backup. */
async function expectPlainVerifiedBackup(artifacts: string) {
  const [backup] = await readdir(artifacts);
  const dir = path.join(artifacts, backup!);
  const tars = (await readdir(dir)).filter((f) => f.endsWith('.tar'));
  expect(tars.sort()).toEqual(['database-0-database.tar', 'web-0-web-server.tar', 'web-1-web-server.tar']);
  for (const tar of tars) {
    const file = await open(path.join(dir, tar));
    const head = Buffer.alloc(2);
    await file.read(head, 0, 2, 0);
    await file.close();
    expect(head.toString(), tar).toBe('./');
  }
  const verify = await runBbrTs(['artifact', 'verify', dir]);
  expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
  return dir;
}

describe('backup --remote-compress', () => {
  for (const tool of ['zstd', 'gzip'] as const) {
    it(`compresses with ${tool} on the instance and stores the plain tar`, async () => {
      // A wrapper that records each call, then runs the real program (copied aside before the bind mount hides it).
      const real = path.join(scratch, `${tool}.real`);
      const log = path.join(scratch, `${tool}.calls`);
      const wrapper = path.join(scratch, `${tool}.wrapper`);
      await copyFile(`/usr/bin/${tool}`, real);
      await writeFile(wrapper, `#!/bin/sh\necho "$*" >>${log}\nexec ${real} "$@"\n`);
      await chmod(wrapper, 0o755);
      await replaceTool('database/0', tool, wrapper);
      try {
        const artifacts = await tempArtifactsDir();
        const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts, '--remote-compress', tool]);
        expect(result.exitCode, result.stdout + result.stderr).toBe(0);
        await expectPlainVerifiedBackup(artifacts);
        // tar ran the compressor on the instance at level 1 (`zstd -1 -q` or `gzip -1`), once for the one job.
        expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([tool === 'zstd' ? '-1 -q' : '-1']);
      } finally {
        await restoreTool('database/0', tool);
      }
    });
  }

  it('drains the plain tar from an instance without the tool', async () => {
    const notExecutable = path.join(scratch, 'not-zstd');
    await writeFile(notExecutable, 'not a program\n', { mode: 0o644 });
    await replaceTool('web/1', 'zstd', notExecutable);
    try {
      const artifacts = await tempArtifactsDir();
      const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts, '--remote-compress', 'zstd']);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      await expectPlainVerifiedBackup(artifacts);
    } finally {
      await restoreTool('web/1', 'zstd');
    }
  });

  it('reports a full artifact disk as such through the decoder', async () => {
    const small = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-tmpfs-'));
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', small]);
    try {
      await fleet.setFault('database/0', 'database', 'backup', 'mkdir -p "$BBR_ARTIFACT_DIRECTORY"; head -c 3145728 /dev/urandom >"$BBR_ARTIFACT_DIRECTORY/extra.bin"');
      const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', small, '--remote-compress', 'zstd']);
      expect(result.exitCode & 1).toBe(1);
      expect(result.stderr).toMatch(/artifact path is full: no space left on device while writing .*database-0-database\.tar/);
      expect(result.stderr).not.toMatch(/internal error/);
    } finally {
      await fleet.clearFaults();
      await execa('umount', [small]);
      await rm(small, { recursive: true, force: true });
    }
  });

  it('refuses a compression it does not know', async () => {
    const result = await runBbrTs(['deployment', ...flags, 'backup', '--remote-compress', 'xz']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/remote-compress/);
    expect(result.stderr).toMatch(/gzip.*zstd|Choices/);
  });
});
