// Runs a command on this machine through `sh -c` (the drill's `--verify` without `--verify-on`): the local
// counterpart of Instance.runCommand, so the workflow never starts a process itself.
import { execa } from 'execa';
import type { CommandOutcome } from '../orchestrate/instance.js';
import { lastLines } from '../ssh/index.js';
import { COMMAND_OUTPUT_LINES } from './ssh-instance.js';

export async function runLocalCommand(command: string, options: { signal: AbortSignal; timeoutMs?: number }): Promise<CommandOutcome> {
  const result = await execa('sh', ['-c', command], {
    all: true,
    reject: false,
    stdin: 'ignore',
    cancelSignal: options.signal,
    timeout: options.timeoutMs,
    forceKillAfterDelay: 2000,
  });
  return {
    exitCode: result.exitCode ?? null,
    timedOut: result.timedOut,
    cancelled: result.isCanceled,
    outputTail: lastLines(result.all ?? result.originalMessage ?? '', COMMAND_OUTPUT_LINES),
  };
}
