// Typed failures. Each class carries a stable `code`, the BBR exit-code bit it contributes and a `hint`
// (the operator's next step). Only cli/exit.ts turns them into text and an exit status.

/** BBR's exit bitmask (orchestrator/error.go BuildExitCode). Bit 2 is never used, as in BBR. */
export const ExitBit = { generic: 1, lock: 4, unlock: 8, cleanup: 16 } as const;
export type ExitBitValue = (typeof ExitBit)[keyof typeof ExitBit];

/**
 * What an operator runs after a failure that left something behind (a job possibly locked, a remote artifact
 * directory): the name of a bbr-ts command, never its command line. Only cli/ knows the flags that reach this
 * deployment again, so only cli/ turns a remedy into the exact command to paste.
 */
export type Remedy = 'backup-cleanup' | 'restore-cleanup';

/** How a hint refers to its remedy; cli/exit.ts prints the command itself below the errors. */
export function remedyStep(remedy: Remedy): string {
  return `the ${remedy} command below`;
}

export interface BbrErrorOptions {
  hint?: string;
  /** Set where the failure leaves something to clean up. */
  remedy?: Remedy;
  cause?: unknown;
}

export class BbrError extends Error {
  readonly code: string = 'BBR_ERROR';
  readonly exitBit: ExitBitValue = ExitBit.generic;
  readonly hint: string | undefined;
  readonly remedy: Remedy | undefined;

  constructor(message: string, options: BbrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.remedy = options.remedy;
  }
}

/** Wrong flags or arguments. */
export class UsageError extends BbrError {
  override readonly code = 'BBR_USAGE';
}

/** The deployment manifest is missing, unreadable or does not describe reachable instances. */
export class ManifestError extends BbrError {
  override readonly code = 'BBR_MANIFEST';
}

/** Reading or parsing the operator's private key or known_hosts file failed. */
export class CredentialsError extends BbrError {
  override readonly code = 'BBR_CREDENTIALS';
}

/** The instance presented a host key that is unknown or differs from known_hosts. */
export class HostKeyError extends BbrError {
  override readonly code = 'BBR_HOST_KEY';
}

/** Connecting to an instance failed, or the connection dropped. */
export class ConnectionError extends BbrError {
  override readonly code = 'BBR_CONNECTION';
}

/**
 * A housekeeping command on an instance (sudo, find, du, mkdir, tar, rm, the hashing program) failed, timed out
 * or printed something unusable while the connection itself was fine: the instance needs a look, not the network.
 */
export class RemoteCommandError extends BbrError {
  override readonly code = 'BBR_REMOTE_COMMAND';
}

/** A job's `metadata` script failed or printed something that is not valid metadata. */
export class MetadataError extends BbrError {
  override readonly code = 'BBR_METADATA';
  /**
   * What is wrong, without naming the script and where it ran ("printed invalid YAML: ..."), for a caller
   * that names them its own way (`job test` says "metadata ..."). The whole message when not given.
   */
  readonly problem: string;

  constructor(message: string, options: BbrErrorOptions & { problem?: string } = {}) {
    super(message, options);
    this.problem = options.problem ?? message;
  }
}

/** The lock-order graph built from `*_should_be_locked_before` has a cycle. */
export class CyclicLockOrderError extends BbrError {
  override readonly code = 'BBR_CYCLIC_LOCK_ORDER';
}

/** The deployment cannot be backed up or restored as it is (no scripts, leftover directories, ...). */
export class PreconditionError extends BbrError {
  override readonly code = 'BBR_PRECONDITION';
}

/**
 * The backup's instances and jobs do not fit the deployment (restore's topology check). Drill tells the operator
 * the artifact came from another deployment when it sees one, so it is a class of its own, not a message.
 */
export class TopologyMismatchError extends PreconditionError {
  /** The difference alone, without the deployment's name. */
  readonly problem: string;

  constructor(deployment: string, problem: string, options: BbrErrorOptions = {}) {
    super(`deployment '${deployment}' does not match the structure of the backup: ${problem}`, options);
    this.problem = problem;
  }
}

/** A local artifact directory is missing, incomplete, corrupted or unsafe. */
export class ArtifactError extends BbrError {
  override readonly code = 'BBR_ARTIFACT';
}

/** Files in an artifact differ from the checksums recorded for them (local tar or a copy on an instance). */
export class ChecksumMismatchError extends BbrError {
  override readonly code = 'BBR_CHECKSUM_MISMATCH';
}

/** A restore drill's verification command failed after the restore: the backup did not bring the data back. */
export class VerificationError extends BbrError {
  override readonly code = 'BBR_DRILL_VERIFY';
}

/** Another run of the same deployment holds its run lock (or the lock cannot be taken): refused before connecting. */
export class RunLockedError extends BbrError {
  override readonly code = 'BBR_RUN_LOCKED';
}

/** The operator interrupted the run (SIGINT/SIGTERM). */
export class CancelledError extends BbrError {
  override readonly code: string = 'BBR_CANCELLED';
}

/**
 * An error no code path handled (a bug) stopped the run. main.ts's last-resort guard aborts the run with it, as an
 * interrupt would: running scripts are cancelled, locked jobs unlocked, nothing is kept as a good backup.
 */
export class InternalError extends CancelledError {
  override readonly code = 'BBR_INTERNAL';
}

export interface ScriptFailure {
  /** `group/index` */
  instance: string;
  job: string;
  script: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Real scripts report failures on stdout too (credhub's post-bbr-start prints "health check failed" there). */
  stdoutTail: string;
  stderrTail: string;
}

/** A job script exited non-zero, was killed, timed out or was cancelled. Holds facts, not prose. */
export class ScriptError extends BbrError {
  override readonly code = 'BBR_SCRIPT';
  readonly failure: ScriptFailure;

  constructor(failure: ScriptFailure, options: BbrErrorOptions = {}) {
    super(describeScriptFailure(failure), options);
    this.failure = failure;
  }
}

function describeScriptFailure(f: ScriptFailure): string {
  const how = f.timedOut
    ? 'timed out'
    : f.cancelled
      ? 'was cancelled'
      : f.exitCode !== null
        ? `exited with status ${f.exitCode}`
        : f.signal
          ? `was killed by signal ${f.signal}`
          : 'ended without an exit status (connection lost?)';
  const section = (label: string, text: string) => (text.trim() ? `\n    ${label} (last lines):\n${indent(text.trim(), '      ')}` : '');
  return `${f.script} script of job '${f.job}' on ${f.instance} ${how}${section('stdout', f.stdoutTail)}${section('stderr', f.stderrTail)}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

// Phase wrappers decide the exit bit (BBR: the phase decides, not the script; orchestrator/error.go).

export class LockError extends BbrError {
  override readonly code = 'BBR_LOCK';
  override readonly exitBit = ExitBit.lock;
}

export class BackupError extends BbrError {
  override readonly code = 'BBR_BACKUP';
}

export class RestoreError extends BbrError {
  override readonly code = 'BBR_RESTORE';
}

export class UnlockError extends BbrError {
  override readonly code = 'BBR_UNLOCK';
  override readonly exitBit = ExitBit.unlock;
}

export class DrainError extends BbrError {
  override readonly code = 'BBR_DRAIN';
}

export class CleanupError extends BbrError {
  override readonly code = 'BBR_CLEANUP';
  override readonly exitBit = ExitBit.cleanup;
}

/** backup-cleanup / restore-cleanup could not remove a leftover remote artifact directory. */
// BBR compat: generic (1), not 16 (orchestrator/cleanup_previous_step.go).
export class CleanupPreviousError extends BbrError {
  override readonly code = 'BBR_CLEANUP_PREVIOUS';
}

/** ORs the exit bits of every failure of a run; 0 when there was none. */
export function exitCodeOf(failures: readonly unknown[]): number {
  let code = 0;
  for (const failure of failures) code |= failure instanceof BbrError ? failure.exitBit : ExitBit.generic;
  return code;
}

/** The innermost BbrError hint in a cause chain, so a wrapped failure still tells what to do next. */
export function hintOf(error: unknown): string | undefined {
  let current: unknown = error;
  let hint: string | undefined;
  while (current instanceof Error) {
    if (current instanceof BbrError && current.hint) hint ??= current.hint;
    current = current.cause;
  }
  return hint;
}

/** The first remedy in a cause chain: a wrapped failure still asks for its cleanup. */
export function remedyOf(error: unknown): Remedy | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof BbrError && current.remedy) return current.remedy;
  }
  return undefined;
}

/** The BOSH director (or its UAA) refused a request, answered something unusable, or could not be reached. */
export class DirectorError extends BbrError {
  override readonly code = 'BBR_DIRECTOR';
}

/** The temporary SSH user could not be removed from every instance (BBR exits 16 when its cleanup fails). */
export class SshUserCleanupError extends BbrError {
  override readonly code = 'BBR_SSH_USER_CLEANUP';
  override readonly exitBit = ExitBit.cleanup;
}
