// The SSH implementation of the instance port, over a shell that is this machine (real sh) or a canned one
// (for a refused sudo or a lost connection): which failures are a remote command's, which the connection's.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cannedShell, localShell } from '../../test/support/local-shell.js';
import { useScratchDir } from '../../test/support/scratch-dir.js';
import { remoteChecksums } from '../artifact/remote-checksums.js';
import { ConnectionError, RemoteCommandError } from '../errors.js';
import { sshInstance } from './ssh-instance.js';

const signal = new AbortController().signal;
const scratch = useScratchDir('bbr-ts-ssh-instance-');

describe('sshInstance: a failed remote command is a RemoteCommandError, not a ConnectionError', () => {
  it('discovery refused by sudo', async () => {
    const instance = sshInstance(cannedShell({ exitCode: 1, stderrTail: 'sudo: a password is required' }));
    const failure = await instance.discover(signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RemoteCommandError);
    expect(failure).not.toBeInstanceOf(ConnectionError);
    expect((failure as Error).message).toBe('finding scripts failed on web/0: sudo: a password is required');
  });

  it('an upload whose mkdir fails (a real sh: the directory cannot be made under a file)', async () => {
    const file = path.join(scratch(), 'a-file');
    await writeFile(file, 'x');
    const instance = sshInstance(localShell());
    const failure = await instance
      .upload({ job: 'db', source: 'db.tar', open: () => Readable.from([]), checkInTransit: false, remoteDir: path.join(file, 'db'), expected: {}, signal })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RemoteCommandError);
    expect((failure as Error).message).toMatch(/^cannot create .*a-file\/db on local\/0: /);
  });

  it('an upload whose tar fails to extract (a real sh and tar: not a tar)', async () => {
    const dir = path.join(scratch(), 'restore');
    const instance = sshInstance(localShell());
    const failure = await instance
      .upload({ job: 'db', source: 'db.tar', open: () => Readable.from([Buffer.alloc(1024, 'x')]), checkInTransit: false, remoteDir: dir, expected: {}, signal })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RemoteCommandError);
    expect((failure as Error).message).toMatch(/^extracting the artifact of job 'db' on local\/0 failed/);
  });

  it('checksums of a directory that is not there (a real sh)', async () => {
    const failure = await remoteChecksums(localShell(), path.join(scratch(), 'missing'), () => undefined, signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RemoteCommandError);
    expect((failure as Error).message).toMatch(/^computing checksums of .*missing on local\/0 failed: exit 1/);
  });

  it('removeArtifacts: a failed rm rejects with the reason alone; a lost connection stays a ConnectionError', async () => {
    const refused = cannedShell({ exitCode: 1, stderrTail: 'rm: cannot remove: Read-only file system\n' });
    const failure = await sshInstance(refused).removeArtifacts(undefined, signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RemoteCommandError);
    expect((failure as Error).message).toBe('rm: cannot remove: Read-only file system');
    expect(refused.commands).toEqual(["sudo -n rm -rf /var/vcap/store/bbr-backup"]);

    const lost = new ConnectionError('connection to web/0 lost: the connection was closed');
    await expect(sshInstance(cannedShell(lost)).removeArtifacts('/var/vcap/store/bbr-backup/db/', signal)).rejects.toBe(lost);
  });
});

describe('sshInstance', () => {
  it('removes one job directory, or the whole root', async () => {
    const root = path.join(scratch(), 'root');
    await mkdir(path.join(root, 'db'), { recursive: true });
    const shell = localShell();
    await sshInstance(shell).removeArtifacts(path.join(root, 'db'), signal);
    await expect(remoteChecksums(shell, root, () => undefined, signal)).resolves.toBeUndefined();
    await expect(remoteChecksums(shell, path.join(root, 'db'), () => undefined, signal)).rejects.toBeInstanceOf(RemoteCommandError);
  });

  it('runCommand reports the exit status and the last lines of stdout and stderr together', async () => {
    const outcome = await sshInstance(localShell()).runCommand('seq 1 30; echo oops >&2; exit 3', { signal });
    expect(outcome).toMatchObject({ exitCode: 3, timedOut: false, cancelled: false });
    const lines = outcome.outputTail.split('\n');
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines.slice(-1)).toEqual(['oops']);
    expect(lines).toContain('30');
    expect(lines).not.toContain('1');
  });
});
