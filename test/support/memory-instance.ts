// A recording in-memory implementation of the instance port (src/orchestrate/instance.ts), for fast unit tests of
// the workflows' failure matrix. It keeps the state a real instance would have after each call (artifact
// directories, the artifact root, which jobs are locked), records every call in order, and can be told to fail,
// hang or deliver the operator's Ctrl-C at any call. Nothing here is a shortcut a real instance would not take:
// a drain reads the directory the backup script filled, an upload is checked against the expected checksums.
import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { ScriptName } from '../../src/contract/paths.js';
import { REMOTE_ARTIFACT_ROOT } from '../../src/contract/paths.js';
import { CancelledError, ChecksumMismatchError, ConnectionError, DrainError, RemoteCommandError, ScriptError } from '../../src/errors.js';
import type { InstanceTarget } from '../../src/manifest/index.js';
import type {
  CommandOutcome,
  ConnectInstance,
  DrainRequest,
  DrainResult,
  Instance,
  InstanceDiscovery,
  ScriptOutcome,
  ScriptRequest,
  TransferResult,
  UploadRequest,
} from '../../src/orchestrate/instance.js';

export interface MemoryJobSpec {
  name: string;
  release?: string;
  scripts: readonly ScriptName[];
  /** What the job's `metadata` script prints (YAML); empty when not given. */
  metadata?: string;
}

export interface MemoryInstanceSpec {
  group: string;
  index: number;
  jobs: readonly MemoryJobSpec[];
  /** State an earlier run left behind. */
  leftover?: { artifactDirs?: readonly string[]; locked?: readonly { job: string; for: 'backup' | 'restore' }[] };
}

export type CallKind = 'connect' | 'discover' | 'script' | 'artifactSize' | 'drain' | 'upload' | 'removeArtifacts' | 'runCommand' | 'close';

export interface RecordedCall {
  seq: number;
  /** `group/index` */
  instance: string;
  kind: CallKind;
  job?: string;
  script?: ScriptName;
  env?: Readonly<Record<string, string>>;
  /** drain/upload: the job's directory; removeArtifacts: the directory, or undefined for the whole root. */
  remoteDir?: string;
  /** Which of the run's signals the call was given (see MemoryFleet.labelSignals). */
  signal: string;
  /** The signal was already aborted when the call came in. */
  abortedAtStart: boolean;
  /** Restore scripts: what the job's artifact directory held when the script ran (undefined: nothing). */
  sawArtifact?: string;
  outcome?: 'ok' | 'failed' | 'cancelled';
}

/** Which call a fault applies to; unset fields match anything. */
export interface FaultMatch {
  instance?: string;
  kind: CallKind;
  job?: string;
  script?: ScriptName;
  /** removeArtifacts: true for the whole artifact root, false for one job's directory. */
  root?: boolean;
}

/**
 * What happens at a matching call, in this order: `abort` is aborted (the operator's Ctrl-C arriving while the call
 * runs), then the call hangs until its own signal aborts (`hang`), or fails with `fail`; otherwise it is cancelled
 * if its signal is aborted by now, or completes normally (a call running under another signal finishes).
 */
export interface FaultAction {
  /** One controller, or several aborted in order (a first Ctrl-C and the operator insisting at once). */
  abort?: AbortController | readonly AbortController[];
  hang?: boolean;
  fail?: string;
}

export interface Fault {
  at: FaultMatch;
  action: FaultAction;
}

/** What is left on one instance. */
export interface InstanceState {
  artifactRootExists: boolean;
  /** Job directories under the artifact root, sorted. */
  artifactDirs: string[];
  /** Locked jobs, sorted, as `job (backup)` or `job (restore)`. */
  locked: string[];
  /** The connections opened to it that were not closed. */
  openConnections: number;
}

interface Remote {
  spec: MemoryInstanceSpec;
  name: string;
  rootExists: boolean;
  /** remoteDir (with trailing slash, as the workflows name it) → content, undefined while empty. */
  dirs: Map<string, Buffer | undefined>;
  /** `job (backup|restore)` */
  locked: Set<string>;
  open: number;
}

const LOCKS: Partial<Record<ScriptName, 'backup' | 'restore'>> = { 'pre-backup-lock': 'backup', 'pre-restore-lock': 'restore' };
const UNLOCKS: Partial<Record<ScriptName, 'backup' | 'restore'>> = { 'post-backup-unlock': 'backup', 'post-restore-unlock': 'restore' };

/** The payload a job's backup script leaves in its directory: small, and different for every job. */
export function payloadOf(instance: string, job: string): Buffer {
  return Buffer.from(`data of ${job} on ${instance}\n`);
}

/** The checksum key of the single file a memory artifact holds. */
export const PAYLOAD_FILE = './data';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class MemoryFleet {
  readonly calls: RecordedCall[] = [];
  private readonly remotes = new Map<string, Remote>();
  private readonly faults: Fault[] = [];
  private readonly signalLabels = new Map<AbortSignal, string>();

  constructor(specs: readonly MemoryInstanceSpec[]) {
    for (const spec of specs) {
      const name = `${spec.group}/${spec.index}`;
      const dirs = new Map<string, Buffer | undefined>((spec.leftover?.artifactDirs ?? []).map((dir) => [dir, undefined]));
      const locked = new Set((spec.leftover?.locked ?? []).map((l) => `${l.job} (${l.for})`));
      this.remotes.set(name, { spec, name, rootExists: dirs.size > 0, dirs, locked, open: 0 });
    }
  }

  /** Adds a fault; every matching call gets it (the first matching fault wins). */
  fault(at: FaultMatch, action: FaultAction): this {
    this.faults.push({ at, action });
    return this;
  }

  /** Names the run's signals, so that calls record which one they were given (`run`, `force`). */
  labelSignals(labels: Record<string, AbortSignal>): this {
    for (const [label, signal] of Object.entries(labels)) this.signalLabels.set(signal, label);
    return this;
  }

  /** The targets a manifest would list, in manifest order. */
  targets(): InstanceTarget[] {
    return [...this.remotes.values()].map(({ spec, name }) => ({
      group: spec.group,
      index: spec.index,
      name,
      // A documentation address: nothing here is ever dialled.
      host: '192.0.2.1',
      port: 22,
      jobs: spec.jobs.map((job) => ({ name: job.name, release: job.release ?? 'memory-release' })),
    }));
  }

  readonly connect: ConnectInstance = async (target, signal) => {
    const remote = this.remotes.get(target.name);
    if (!remote) throw new Error(`memory fleet: no instance ${target.name}`);
    await this.enter(remote, { kind: 'connect' }, signal);
    remote.open++;
    return this.instance(remote);
  };

  /** What is left on every instance. */
  state(): Record<string, InstanceState> {
    return Object.fromEntries(
      [...this.remotes.values()].map((r) => [
        r.name,
        { artifactRootExists: r.rootExists, artifactDirs: [...r.dirs.keys()].sort(), locked: [...r.locked].sort(), openConnections: r.open },
      ]),
    );
  }

  /** Every call of a kind other than `metadata` scripts, as `script job instance[ env]` lines, in call order. */
  scriptLines(options: { env?: string } = {}): string[] {
    return this.calls
      .filter((c) => c.kind === 'script' && c.script !== 'metadata')
      .map((c) => {
        const value = options.env === undefined ? undefined : c.env?.[options.env];
        return `${c.script} ${c.job} ${c.instance}${value === undefined ? '' : ` ${options.env}=${value}`}`;
      });
  }

  private instance(remote: Remote): Instance {
    const fleet = this;
    let closed = false;
    return {
      name: remote.name,

      async discover(signal): Promise<InstanceDiscovery> {
        await fleet.enter(remote, { kind: 'discover' }, signal);
        return {
          jobs: remote.spec.jobs.map((job) => ({ name: job.name, scripts: new Set(job.scripts) })),
          artifactRootExists: remote.rootExists,
        };
      },

      async runScript(request: ScriptRequest): Promise<ScriptOutcome> {
        const job = remote.spec.jobs.find((j) => j.name === request.job);
        const call = fleet.record(remote, { kind: 'script', job: request.job, script: request.script, env: request.env ? { ...request.env } : undefined }, request.signal);
        const fail = (why: 'failed' | 'cancelled', message?: string): ScriptError => {
          call.outcome = why;
          return new ScriptError({
            instance: remote.name,
            job: request.job,
            script: request.script,
            exitCode: why === 'failed' ? 1 : null,
            signal: null,
            timedOut: false,
            cancelled: why === 'cancelled',
            stdoutTail: '',
            stderrTail: message ?? '',
          });
        };
        if (request.signal.aborted) throw fail('cancelled');
        if (!job?.scripts.includes(request.script)) throw fail('failed', `sudo: ${request.script}: command not found`);
        // The script has started: what it does first happens whatever comes next (a lock script that fails or
        // is cancelled half-way may have locked; BBR's rule is to unlock every job whose lock was attempted).
        if (request.createDirectory !== undefined) fleet.createDir(remote, request.createDirectory);
        const lockFor = LOCKS[request.script];
        if (lockFor) remote.locked.add(`${request.job} (${lockFor})`);
        const dir = request.env?.['BBR_ARTIFACT_DIRECTORY'];
        if (request.script === 'restore' && dir !== undefined) call.sawArtifact = remote.dirs.get(dir)?.toString();
        const failed = await fleet.applyFault(call, request.signal);
        if (failed === 'cancelled') throw fail('cancelled');
        if (failed !== undefined) throw fail('failed', failed);
        if (request.script === 'backup' && dir !== undefined) {
          if (!remote.dirs.has(dir)) throw fail('failed', `${dir}: No such file or directory`);
          remote.dirs.set(dir, payloadOf(remote.name, request.job));
        }
        const unlockFor = UNLOCKS[request.script];
        if (unlockFor) remote.locked.delete(`${request.job} (${unlockFor})`);
        call.outcome = 'ok';
        return { stdout: request.script === 'metadata' ? (job.metadata ?? '') : '', stdoutTruncated: false, outputHeldOpen: false };
      },

      async artifactSize(remoteDir): Promise<number | undefined> {
        fleet.record(remote, { kind: 'artifactSize', remoteDir }, undefined).outcome = 'ok';
        return remote.dirs.get(remoteDir)?.length;
      },

      async drain(request: DrainRequest): Promise<DrainResult> {
        const call = fleet.record(remote, { kind: 'drain', job: request.job, remoteDir: request.remoteDir }, request.signal);
        if (request.signal.aborted) throw cancelled(call, `draining job '${request.job}' on ${remote.name}`);
        const content = remote.dirs.get(request.remoteDir);
        const sink = request.createSink(() => undefined);
        // Half the bytes are on their way when a fault strikes: the store must not keep them as an artifact.
        const payload = content ?? Buffer.alloc(0);
        sink.write(payload.subarray(0, payload.length >> 1));
        const failed = await fleet.applyFault(call, request.signal);
        const refuse = (error: Error): never => {
          sink.destroy();
          call.outcome = error instanceof CancelledError ? 'cancelled' : 'failed';
          throw error;
        };
        if (failed === 'cancelled') refuse(new CancelledError(`draining job '${request.job}' on ${remote.name} was cancelled`));
        if (failed !== undefined) refuse(new DrainError(`draining the artifact of job '${request.job}' on ${remote.name} failed: ${failed}`));
        if (content === undefined) refuse(new DrainError(`tar on ${remote.name} failed for job '${request.job}': ${request.remoteDir}: Cannot open: No such file or directory`));
        sink.end(payload.subarray(payload.length >> 1));
        await finished(sink);
        request.onProgress?.(payload.length);
        call.outcome = 'ok';
        return { checksums: { [PAYLOAD_FILE]: sha256(payload) }, tarBytes: payload.length, fileCount: 1 };
      },

      async upload(request: UploadRequest): Promise<TransferResult> {
        const call = fleet.record(remote, { kind: 'upload', job: request.job, remoteDir: request.remoteDir }, request.signal);
        if (request.signal.aborted) throw cancelled(call, `uploading to job '${request.job}' on ${remote.name}`);
        // mkdir comes first, as on a real instance: a failure after it leaves the directory behind.
        fleet.createDir(remote, request.remoteDir);
        const chunks: Buffer[] = [];
        for await (const chunk of request.open()) chunks.push(chunk as Buffer);
        const failed = await fleet.applyFault(call, request.signal);
        if (failed === 'cancelled') throw cancelled(call, `uploading to job '${request.job}' on ${remote.name}`);
        if (failed !== undefined) {
          call.outcome = 'failed';
          throw new ConnectionError(`extracting the artifact of job '${request.job}' on ${remote.name} failed: ${failed}`);
        }
        const bytes = Buffer.concat(chunks);
        if (request.expected[PAYLOAD_FILE] !== sha256(bytes) || Object.keys(request.expected).length !== 1) {
          call.outcome = 'failed';
          throw new ChecksumMismatchError(`the artifact of job '${request.job}' on ${remote.name} does not match its checksums`);
        }
        remote.dirs.set(request.remoteDir, bytes);
        request.onProgress?.(bytes.length);
        call.outcome = 'ok';
        return { tarBytes: bytes.length, fileCount: 1 };
      },

      async removeArtifacts(remoteDir, signal): Promise<void> {
        const call = fleet.record(remote, { kind: 'removeArtifacts', remoteDir }, signal);
        if (signal.aborted) throw cancelled(call, `removing ${remoteDir ?? REMOTE_ARTIFACT_ROOT} on ${remote.name}`);
        const failed = await fleet.applyFault(call, signal);
        if (failed === 'cancelled') throw cancelled(call, `removing ${remoteDir ?? REMOTE_ARTIFACT_ROOT} on ${remote.name}`);
        if (failed !== undefined) {
          call.outcome = 'failed';
          // The reason alone, as the SSH instance gives it: the caller says what it was removing.
          throw new RemoteCommandError(`rm: cannot remove '${remoteDir ?? REMOTE_ARTIFACT_ROOT}': ${failed}`);
        }
        if (remoteDir === undefined) {
          remote.dirs.clear();
          remote.rootExists = false;
        } else {
          remote.dirs.delete(remoteDir);
        }
        call.outcome = 'ok';
      },

      async runCommand(_command, options): Promise<CommandOutcome> {
        const call = fleet.record(remote, { kind: 'runCommand' }, options.signal);
        const failed = await fleet.applyFault(call, options.signal);
        call.outcome = failed === undefined ? 'ok' : failed === 'cancelled' ? 'cancelled' : 'failed';
        return { exitCode: failed === undefined ? 0 : failed === 'cancelled' ? null : 1, timedOut: false, cancelled: failed === 'cancelled', outputTail: failed ?? '' };
      },

      close(): void {
        fleet.record(remote, { kind: 'close' }, undefined).outcome = 'ok';
        if (!closed) remote.open--;
        closed = true;
      },
    };
  }

  private createDir(remote: Remote, dir: string): void {
    remote.rootExists = true;
    if (!remote.dirs.has(dir)) remote.dirs.set(dir, undefined);
  }

  private record(remote: Remote, call: Omit<RecordedCall, 'seq' | 'instance' | 'signal' | 'abortedAtStart'>, signal: AbortSignal | undefined): RecordedCall {
    const recorded: RecordedCall = {
      seq: this.calls.length,
      instance: remote.name,
      ...call,
      signal: signal === undefined ? 'none' : (this.signalLabels.get(signal) ?? 'other'),
      abortedAtStart: signal?.aborted ?? false,
    };
    this.calls.push(recorded);
    return recorded;
  }

  /** connect and discover: record, refuse when cancelled, apply a fault. */
  private async enter(remote: Remote, call: { kind: 'connect' | 'discover' }, signal: AbortSignal): Promise<void> {
    const recorded = this.record(remote, call, signal);
    const what = call.kind === 'connect' ? `connecting to ${remote.name}` : `finding scripts on ${remote.name}`;
    if (signal.aborted) throw cancelled(recorded, what);
    const failed = await this.applyFault(recorded, signal);
    if (failed === 'cancelled') throw cancelled(recorded, what);
    if (failed !== undefined) {
      recorded.outcome = 'failed';
      throw new ConnectionError(`${what} failed: ${failed}`, { hint: 'an injected fault of the memory fleet' });
    }
    recorded.outcome = 'ok';
  }

  /**
   * Applies the first matching fault. Resolves with undefined (carry on), 'cancelled' (the call's signal is
   * aborted) or the failure's message.
   */
  private async applyFault(call: RecordedCall, signal: AbortSignal): Promise<string | undefined> {
    const fault = this.faults.find(({ at }) => matches(at, call));
    for (const controller of [fault?.action.abort ?? []].flat()) controller.abort();
    if (fault?.action.hang && !signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    if (fault?.action.fail !== undefined && !signal.aborted) return fault.action.fail;
    return signal.aborted ? 'cancelled' : undefined;
  }
}

function matches(at: FaultMatch, call: RecordedCall): boolean {
  if (at.kind !== call.kind) return false;
  if (at.instance !== undefined && at.instance !== call.instance) return false;
  if (at.job !== undefined && at.job !== call.job) return false;
  if (at.script !== undefined && at.script !== call.script) return false;
  if (at.root !== undefined && at.root !== (call.remoteDir === undefined)) return false;
  return true;
}

function cancelled(call: RecordedCall, what: string): CancelledError {
  call.outcome = 'cancelled';
  return new CancelledError(`${what} was cancelled`);
}
