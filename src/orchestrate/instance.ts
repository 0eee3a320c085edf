// The instance port: everything a workflow does to one instance, as operations rather than shell command
// strings. SSH implements it for real runs (instance/ssh-instance.ts); a recording in-memory instance implements
// it for the failure-matrix tests (test/support/memory-instance.ts). Workflows never see a connection, a command
// line or a local file: only these calls, each of which takes the run's AbortSignal.
import type { Readable, Writable } from 'node:stream';
import type { ArtifactChecksums } from '../artifact/metadata-file.js';
import type { RemoteCompression } from '../artifact/remote-compression.js';
import type { ScriptName } from '../contract/paths.js';
import type { InstanceTarget } from '../manifest/index.js';

/** Opens one instance (connects, with retries and host-key checks as the implementation decides). */
export type ConnectInstance = (target: InstanceTarget, signal: AbortSignal) => Promise<Instance>;

/** One look at an instance: its jobs with bbr scripts, and whether an earlier run left its artifact root. */
export interface InstanceDiscovery {
  jobs: { name: string; scripts: ReadonlySet<ScriptName> }[];
  /** The remote artifact root exists: an earlier run did not finish (backup and restore refuse to start). */
  artifactRootExists: boolean;
}

export interface ScriptRequest {
  job: string;
  script: ScriptName;
  env?: Readonly<Record<string, string>>;
  signal: AbortSignal;
  timeoutMs?: number;
  /** A directory to create right before the script (backup's artifact directory). */
  createDirectory?: string;
}

export interface ScriptOutcome {
  stdout: string;
  /** stdout went past the capture cap and was cut: a caller that parses it must refuse. */
  stdoutTruncated: boolean;
  /** The script exited but left something running that holds its output open. */
  outputHeldOpen: boolean;
}

export interface DrainRequest {
  job: string;
  remoteDir: string;
  /** Where the tar goes, for messages (a path or an object's URL). */
  destination: string;
  /** Opens the destination (the artifact store's writer); it reports its first failed write. */
  createSink: (onWriteError: (error: unknown) => void) => Writable;
  signal: AbortSignal;
  remoteCompression?: RemoteCompression;
  /** Bytes so far, sampled (never per chunk). */
  onProgress?: (bytes: number) => void;
}

export interface TransferResult {
  tarBytes: number;
  fileCount: number;
}

export interface DrainResult extends TransferResult {
  checksums: ArtifactChecksums;
}

export interface UploadRequest {
  job: string;
  /** Where the tar comes from, for messages. */
  source: string;
  open: () => Readable;
  /** Parse and hash the tar on its way (a source not read before connecting: object storage). */
  checkInTransit: boolean;
  remoteDir: string;
  expected: ArtifactChecksums;
  signal: AbortSignal;
  onProgress?: (bytes: number) => void;
}

export interface CommandOutcome {
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  /** The last lines of stdout and stderr together. */
  outputTail: string;
}

export interface Instance {
  /** `group/index`, for messages and events. */
  readonly name: string;
  discover(signal: AbortSignal): Promise<InstanceDiscovery>;
  /** Resolves with the output when the script exits 0; rejects with a ScriptError (or CancelledError) otherwise. */
  runScript(request: ScriptRequest): Promise<ScriptOutcome>;
  /**
   * Apparent size of an artifact directory, for an ETA; undefined when it cannot be told (the command failed).
   * Rejects only when the instance cannot be asked at all (connection lost, run cancelled): the drain fails then.
   */
  artifactSize(remoteDir: string, signal: AbortSignal): Promise<number | undefined>;
  /** Streams a job's artifact directory into the sink as a tar, checked against the instance's own checksums. */
  drain(request: DrainRequest): Promise<DrainResult>;
  /** Writes an artifact tar into `remoteDir` (created), checked against `expected`. */
  upload(request: UploadRequest): Promise<TransferResult>;
  /**
   * Removes one job's artifact directory, or the whole remote artifact root when `remoteDir` is undefined.
   * Rejects with a RemoteCommandError whose message is the reason when the removal itself failed (the caller
   * says what it was removing); with the connection's own error when the instance cannot be asked.
   */
  removeArtifacts(remoteDir: string | undefined, signal: AbortSignal): Promise<void>;
  /** The drill's verification command, as root through `sh -c`. */
  runCommand(command: string, options: { signal: AbortSignal; timeoutMs?: number }): Promise<CommandOutcome>;
  close(): void;
}
