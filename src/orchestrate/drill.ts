// A restore drill: restore an artifact into a (scratch) deployment, then run the operator's verification
// command, and report pass or fail with both timings (time to restore is what a recovery-time objective needs).
import path from 'node:path';
import { parseBackupName } from '../artifact/file-names.js';
import { PreconditionError, TopologyMismatchError, VerificationError, type BbrError } from '../errors.js';
import type { OpenDeployment } from './open-deployment.js';
import { RunRecorder, type RunOutcome } from './recorder.js';
import { restore, type RestoreRequest } from './restore.js';
import type { Session } from './run-operation.js';
import { runVerifyCommand, type CommandRunner, type VerifyTarget } from './verify-command.js';

export interface DrillOptions {
  /** The backup to restore into the session's deployment. */
  restore: RestoreRequest;
  artifactDir: string;
  verifyCommand: string;
  /** `group/index` to verify on; this machine when absent. */
  verifyOn?: string;
  verifyTimeoutMs?: number;
  /** Runs the verification on this machine (without `verifyOn`); the caller decides how. */
  runLocally: CommandRunner;
}

export async function drill(session: Session, options: DrillOptions): Promise<RunOutcome> {
  const rec = new RunRecorder(session.ctx);
  // The source already named every instance: a --verify-on that names none is refused before anything runs.
  const names = session.scope.targets.map((t) => t.name);
  if (options.verifyOn !== undefined && !names.includes(options.verifyOn)) {
    rec.fail(unknownInstance(options.verifyOn, names));
    return rec.outcome();
  }
  const restoreStarted = Date.now();
  const restored = await restore(session, options.restore);
  return concludeDrill(session, restored, Date.now() - restoreStarted, options);
}

/** After the restore: its failures explained, or the operator's check run and timed. */
export async function concludeDrill(session: Session, restored: RunOutcome, restoreMs: number, options: DrillOptions): Promise<RunOutcome> {
  const { ctx } = session;
  const rec = new RunRecorder(ctx);
  if (restored.failures.length > 0) {
    const mismatch = fromAnotherDeployment(restored.failures, options);
    if (mismatch) rec.fail(mismatch);
    for (const failure of restored.failures) rec.failures.push(failure);
    ctx.events({ type: 'drill-finished', passed: false, restoreMs });
    return rec.outcome();
  }
  // The restore opened the deployment; its connections serve the check too.
  const opened = await session.open();
  const target = opened.deployment ? verifyTarget(opened.deployment, options) : undefined;
  if (!target || target instanceof PreconditionError) {
    if (target) rec.fail(target);
    return rec.outcome();
  }
  const result = await rec.phase('drill-verify', undefined, () =>
    runVerifyCommand(options.verifyCommand, target, { signal: ctx.signal, timeoutMs: options.verifyTimeoutMs }),
  );
  if (!result.passed) {
    const how = result.timedOut ? 'timed out' : result.exitCode === null ? 'ended without an exit status' : `exited with status ${result.exitCode}`;
    const tail = result.outputTail.trim();
    rec.fail(
      new VerificationError(
        `the drill's verification command ${how} on ${result.where} after a successful restore${tail ? `\n    output (last lines):\n${tail.replace(/^/gm, '      ')}` : ''}`,
        { hint: 'the restore ran but the data is not what the check expects: inspect the restored deployment, then the backup (job scripts, artifact contents) before you rely on it' },
      ),
    );
  }
  ctx.events({ type: 'drill-finished', passed: result.passed, restoreMs, verifyMs: result.durationMs, verifyExitCode: result.exitCode, verifiedOn: result.where });
  return rec.outcome();
}

function verifyTarget(deployment: OpenDeployment, { verifyOn, runLocally }: DrillOptions): VerifyTarget | PreconditionError {
  if (verifyOn === undefined) return { where: 'this machine', run: runLocally };
  const instance = deployment.instances.find((i) => i.target.name === verifyOn);
  if (instance) return { where: instance.handle.name, run: (command, options) => instance.handle.runCommand(command, options) };
  return unknownInstance(verifyOn, deployment.instances.map((i) => i.target.name));
}

function unknownInstance(verifyOn: string, names: readonly string[]): PreconditionError {
  return new PreconditionError(`--verify-on ${verifyOn}: the deployment has no instance ${verifyOn}`, {
    hint: `name one of its instances as GROUP/INDEX: ${[...names].sort().join(', ')}`,
  });
}

/** Restore's topology check lists each difference; a drill says plainly what they mean. */
function fromAnotherDeployment(failures: readonly BbrError[], options: DrillOptions): PreconditionError | undefined {
  if (!failures.some((f) => f instanceof TopologyMismatchError)) return undefined;
  const folder = path.basename(path.resolve(options.artifactDir));
  const source = parseBackupName(folder)?.deployment;
  const origin = source && source !== options.restore.deploymentName ? `deployment '${source}'` : 'another deployment';
  return new PreconditionError(
    `the artifact ${folder} came from ${origin}, not from one shaped like '${options.restore.deploymentName}': nothing was restored (differences below)`,
    { hint: `drill into a scratch deployment built from the same manifest as the deployment that was backed up (same instance groups, instance counts and jobs)` },
  );
}
