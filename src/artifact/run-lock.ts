// One run per deployment at a time: a lock file in the artifact path, `.bbr-ts-<deployment>.lock`, holding who
// runs (pid, host, start). It is created atomically (a complete file is hard-linked into place, so a reader never
// sees it half-written) before anything connects, and removed when the run ends. A run killed with SIGKILL
// leaves it behind: on the same host a lock whose process is gone (or was reused by another process, or belongs
// to an earlier boot) is stale, reported and taken over. A lock from another host is never assumed stale.
import { createHash } from 'node:crypto';
import { link, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ArtifactError, RunLockedError } from '../errors.js';
import { lengthProblem, quoteName } from '../names.js';
import type { RunLock } from '../orchestrate/artifact-store.js';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  deployment: string;
  /** /proc/sys/kernel/random/boot_id and the process start time in clock ticks: tell a reused pid apart. */
  bootId?: string;
  processStart?: string;
}

export interface LocalRunLock extends RunLock {
  readonly file: string;
}

export function runLockFile(artifactPath: string, deployment: string): string {
  const plain = `.bbr-ts-${deployment}.lock`;
  // A 255-byte deployment name does not fit with the prefix: a digest keeps one lock per deployment.
  const name = lengthProblem(plain) === undefined ? plain : `.bbr-ts-${createHash('sha256').update(deployment).digest('hex')}.lock`;
  return path.join(path.resolve(artifactPath), name);
}

/**
 * Takes the deployment's lock or throws RunLockedError naming the holder. `report` is told about a stale lock
 * taken over (one line, no newline).
 */
export async function acquireRunLock(artifactPath: string, deployment: string, report: (line: string) => void): Promise<LocalRunLock> {
  const file = runLockFile(artifactPath, deployment);
  const folder = await stat(path.dirname(file)).catch(() => undefined);
  if (!folder?.isDirectory()) {
    throw new ArtifactError(`artifact path ${path.dirname(file)} is not an existing directory`, {
      hint: 'create it first, or pass another folder with --artifact-path',
    });
  }
  const me = await currentHolder(deployment);
  const text = JSON.stringify(me) + '\n';
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o600 }).catch((error: Error) => {
    throw new RunLockedError(`cannot create the run lock ${quoteName(file)}: ${error.message}`, {
      cause: error,
      hint: 'the artifact path must be an existing folder this user can write to (--artifact-path)',
    });
  });
  try {
    if (!(await linkOrExists(temp, file))) {
      const holder = await readHolder(file);
      if (holder === undefined || !(await isStale(holder))) throw refusal(file, deployment, holder);
      await takeOver(file, temp, holder);
      report(`${describe(holder)} left its lock ${file} behind and no longer runs: taking it over`);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return {
    file,
    location: file,
    async release() {
      const now = await readFile(file, 'utf8').catch(() => undefined);
      if (now === text) await unlink(file).catch(() => undefined);
    },
  };
}

/** link(2) fails with EEXIST when the lock is taken: the one atomic test-and-set a file system offers. */
async function linkOrExists(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new RunLockedError(`cannot create the run lock ${quoteName(to)}: ${(error as Error).message}`, { cause: error, hint: 'check permissions in the artifact path' });
  }
}

/**
 * Two runs may find the same stale lock; a `<lock>.takeover` file created exclusively lets only one replace it.
 * The loser is refused as if the lock were held (by then it is).
 */
async function takeOver(file: string, temp: string, stale: LockHolder): Promise<void> {
  const guard = `${file}.takeover`;
  const handle = await open(guard, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') {
      throw new RunLockedError(`another run is taking over the stale run lock ${quoteName(file)} right now`, {
        hint: `run again later; if no bbr-ts runs, remove ${guard} (left by a run killed while taking over)`,
      });
    }
    throw new RunLockedError(`cannot take over the stale run lock ${quoteName(file)}: ${error.message}`, { cause: error, hint: 'check permissions in the artifact path' });
  });
  try {
    const again = await readHolder(file);
    if (again === undefined || JSON.stringify(again) !== JSON.stringify(stale)) throw refusal(file, stale.deployment, again);
    await unlink(file);
    if (!(await linkOrExists(temp, file))) throw refusal(file, stale.deployment, await readHolder(file));
  } finally {
    await handle.close();
    await unlink(guard).catch(() => undefined);
  }
}

function refusal(file: string, deployment: string, holder: LockHolder | undefined): RunLockedError {
  if (holder === undefined) {
    return new RunLockedError(`the run lock ${quoteName(file)} of deployment ${quoteName(deployment)} exists but does not say who holds it`, {
      hint: `if no bbr-ts run of this deployment is going on, remove ${file} and run again`,
    });
  }
  const sameHost = holder.host === os.hostname();
  return new RunLockedError(`another run of deployment ${quoteName(deployment)} is going on: ${describe(holder)} holds ${quoteName(file)}`, {
    hint: sameHost
      ? 'wait for it to finish (two runs of one deployment must not overlap)'
      : `wait for it to finish; if that process no longer runs on ${quoteName(holder.host)}, remove ${file} and run again`,
  });
}

export function describe(holder: LockHolder): string {
  return `bbr-ts pid ${holder.pid} on host ${quoteName(holder.host)}, started ${holder.startedAt}`;
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  return parseHolder(await readFile(file, 'utf8').catch(() => undefined));
}

/** A lock's holder from its (untrusted) text; undefined unless it is one. Bounded: a lock is a few hundred bytes. */
export function parseHolder(text: string | undefined): LockHolder | undefined {
  if (text === undefined || text.length > 4096) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isSafeInteger(value.pid) || typeof value.host !== 'string' || typeof value.startedAt !== 'string' || typeof value.deployment !== 'string') return undefined;
    return value as LockHolder;
  } catch {
    return undefined;
  }
}

/** Only a lock of this host can be judged: its process is gone, or the pid now belongs to another process. */
export async function isStale(holder: LockHolder): Promise<boolean> {
  if (holder.host !== os.hostname()) return false;
  const bootId = await readBootId();
  if (holder.bootId !== undefined && bootId !== undefined && holder.bootId !== bootId) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const start = await processStart(holder.pid);
  return holder.processStart !== undefined && start !== undefined && start !== holder.processStart;
}

export async function currentHolder(deployment: string): Promise<LockHolder> {
  const bootId = await readBootId();
  const processStartTicks = await processStart(process.pid);
  return {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    deployment,
    ...(bootId === undefined ? {} : { bootId }),
    ...(processStartTicks === undefined ? {} : { processStart: processStartTicks }),
  };
}

async function readBootId(): Promise<string | undefined> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => undefined))?.trim();
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). Linux only. */
async function processStart(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const rest = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest?.[19];
}
