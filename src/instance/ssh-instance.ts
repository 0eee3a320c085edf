// The instance port (orchestrate/instance.ts) over one SSH connection: each operation is composed from the
// contract (discovery, scripts) and artifact (drain, upload) layers, which build the command lines.
import { drainArtifact, remoteSizeBytes } from '../artifact/drain.js';
import { uploadArtifact } from '../artifact/upload.js';
import { asRoot, asRootShell } from '../contract/as-root.js';
import { discoverInstance } from '../contract/discover-scripts.js';
import { REMOTE_ARTIFACT_ROOT } from '../contract/paths.js';
import { runScript } from '../contract/run-script.js';
import { RemoteCommandError } from '../errors.js';
import type { CommandOutcome, Instance } from '../orchestrate/instance.js';
import { lastLines, succeeded, whyFailed, type RemoteShell } from '../ssh/index.js';

/** Lines of a command's output kept for the report (the drill's verification). */
export const COMMAND_OUTPUT_LINES = 20;

export function sshInstance(shell: RemoteShell): Instance {
  return {
    name: shell.instance,
    discover: (signal) => discoverInstance(shell, signal),
    runScript: (request) => runScript(shell, request),
    artifactSize: (remoteDir, signal) => remoteSizeBytes(shell, remoteDir, signal),
    drain: (request) => drainArtifact(shell, { ...request, localFile: request.destination }),
    upload: (request) => uploadArtifact(shell, { ...request, localFile: request.source }),
    async removeArtifacts(remoteDir, signal) {
      // Bounded by the command timeout: a hung rm must not keep the run (or an interrupted one) alive.
      const result = await shell.exec(asRoot(shell, ['rm', '-rf', remoteDir ?? REMOTE_ARTIFACT_ROOT]), { signal });
      // The reason alone: the caller says what was being removed, and for which run.
      if (!succeeded(result)) throw new RemoteCommandError(whyFailed(result));
    },
    async runCommand(command, options): Promise<CommandOutcome> {
      const result = await shell.exec(asRootShell(shell, command), { signal: options.signal, timeoutMs: options.timeoutMs ?? null });
      const output = [result.stdout, result.stderrTail].filter((text) => text.trim() !== '').join('\n');
      return { exitCode: result.exitCode, timedOut: result.timedOut, cancelled: result.cancelled, outputTail: lastLines(output, COMMAND_OUTPUT_LINES) };
    },
    close: () => shell.close(),
  };
}
