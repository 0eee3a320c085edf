// A RemoteShell whose "instance" is this machine: each command line goes to /bin/sh -c, so command text built
// for an instance (quoting, exit statuses, stderr) is proven on a real shell in unit tests, without SSH.
import { spawn } from 'node:child_process';
import type { ExecResult, RemoteShell } from '../../src/ssh/index.js';

export function localShell(instance = 'local/0'): RemoteShell {
  return {
    instance,
    needsSudo: false,
    exec: (command, options = {}) =>
      new Promise<ExecResult>((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', command], { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
        if (options.stdin && child.stdin) {
          child.stdin.on('error', () => undefined);
          options.stdin.pipe(child.stdin);
        }
        let stdout = '';
        let stderr = '';
        if (options.stdout) child.stdout!.pipe(options.stdout);
        else child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
        child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
        child.on('error', reject);
        child.on('close', (code, signal) =>
          resolve({ exitCode: code, signal, stdout, stdoutTruncated: false, stderrTail: stderr, stdoutTail: stdout, timedOut: false, stalled: false, cancelled: false, outputHeldOpen: false }),
        );
      }),
    close: () => undefined,
  };
}

/** A RemoteShell whose every command ends as `result` says (a refused sudo, a lost connection): for failure paths. */
export function cannedShell(result: Partial<ExecResult> | Error, instance = 'web/0'): RemoteShell & { commands: string[] } {
  const commands: string[] = [];
  return {
    instance,
    needsSudo: true,
    commands,
    exec: async (command) => {
      commands.push(command);
      if (result instanceof Error) throw result;
      return { exitCode: 0, signal: null, stdout: '', stdoutTruncated: false, stderrTail: '', stdoutTail: '', timedOut: false, stalled: false, cancelled: false, outputHeldOpen: false, ...result };
    },
    close: () => undefined,
  };
}
