// Real pipes for a local script's stdout and stderr. Node (libuv) connects 'pipe' stdio through socketpairs,
// and scripts written for a VM break on sockets: `echo x > /dev/stderr` fails (opening a socket through
// /proc/self/fd gives ENXIO), and bash's `exec > >(tee -a LOG >> /dev/stdout)` logging idiom loses its reader
// and dies of SIGPIPE. sshd hands commands pipes, so `job test` does too. Node cannot call pipe(2), so these
// are named pipes, removed from the file system as soon as both ends are open.
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface OutputPipe {
  /** The write end, for the child's stdio; close it in this process once the child has it. */
  writeFd: number;
  /** The read end; ends when every writer (the script and anything it left running) has closed its end. */
  reader: net.Socket;
}

export interface OutputPipes {
  stdout: OutputPipe;
  stderr: OutputPipe;
  /** Closes this process's write ends (after spawning), so the readers end with the script. */
  closeWriteEnds(): void;
  /** Stops reading (for output held open by a process the script left behind). */
  destroy(): void;
}

export async function openOutputPipes(): Promise<OutputPipes> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-pipes-'));
  const opened: number[] = [];
  try {
    const names = [path.join(dir, 'stdout'), path.join(dir, 'stderr')];
    await execa('mkfifo', ['-m', '600', ...names]);
    const [stdout, stderr] = names.map((name) => {
      // Opening the read end first and non-blocking means neither open waits for the other side.
      const readFd = openSync(name, constants.O_RDONLY | constants.O_NONBLOCK);
      opened.push(readFd);
      const writeFd = openSync(name, constants.O_WRONLY);
      opened.push(writeFd);
      return { writeFd, reader: new net.Socket({ fd: readFd, readable: true, writable: false }) };
    }) as [OutputPipe, OutputPipe];
    let writeEndsOpen = true;
    const closeWriteEnds = () => {
      if (!writeEndsOpen) return;
      writeEndsOpen = false;
      closeSync(stdout.writeFd);
      closeSync(stderr.writeFd);
    };
    return {
      stdout,
      stderr,
      closeWriteEnds,
      destroy: () => {
        closeWriteEnds();
        stdout.reader.destroy();
        stderr.reader.destroy();
      },
    };
  } catch (error) {
    for (const fd of opened) closeSync(fd);
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
