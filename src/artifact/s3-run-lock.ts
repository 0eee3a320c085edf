// The run lock in object storage (issue 16): one run per deployment and s3:// location at a time.
//
// S3 had no create-if-absent for years, and Swift 2.30's s3api (the e2e tests' server) still answers a
// PutObject with `If-None-Match: *` with `501 NotImplemented: Conditional object PUTs are not supported`, even
// for a new key. So the lock is built from plain PUT, LIST and DELETE:
//   1. each run PUTs its own, unique lock object `<prefix>/.bbr-ts-locks/<deployment>/<time>-<random>.json`
//      (who runs: host, pid, start, and how long the lock lives without a heartbeat);
//   2. it LISTs the folder: any other live lock with a smaller key (older; ties broken by the random part)
//      wins, and this run deletes its own object and refuses, naming that holder;
//   3. it proceeds only once a listing shows no other live lock at all. A live lock with a LARGER key is a run
//      that started at about the same time: it either saw ours (and deletes its own within a request or two)
//      or did not (and runs). So this run waits a few seconds for it to go away, and refuses if it stays.
// Why that is enough: if two runs A and B both proceeded, A's last listing did not show B and B's did not show
// A, so A listed before B's PUT completed and B listed before A's PUT completed; but each run lists after its
// own PUT completed, a cycle. Hence at most one proceeds, PROVIDED a listing shows every object whose PUT
// completed before the listing began (read-after-write consistent listings).
//
// The residual race is exactly that proviso. AWS S3 has strongly consistent listings (since December 2020), as
// do MinIO and Ceph RGW with their default settings. Swift updates container listings after the object write
// and may defer the update ("async pending") when a container server is slow or down, so under such a fault
// two runs started within that window could both proceed. A store whose listing lags is noticed when our own
// fresh object is missing from the listing: the run refuses then rather than guess.
//
// Staleness: a run that is killed leaves its object behind. A lock is stale when its last heartbeat (the
// object's Last-Modified, refreshed by the holder every HEARTBEAT_MS) is older than its `ttlSeconds`, measured
// against the server's clock (our own fresh object's Last-Modified), so the hosts' clocks do not matter; or when
// it is from this host and its process is gone (as the local lock decides). A stale lock is reported, removed
// and ignored. A holder that cannot renew its lock for `ttlSeconds` (S3 unreachable) is told so: another run may
// then take its lock over as stale.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { ArtifactError, RunLockedError } from '../errors.js';
import { lengthProblem, quoteName } from '../names.js';
import type { RunLock } from '../orchestrate/artifact-store.js';
import { currentHolder, describe, isStale, parseHolder, type LockHolder } from './run-lock.js';

/** The folder of lock objects, directly under the location: never a backup name, so never listed or pruned. */
export const LOCKS_FOLDER = '.bbr-ts-locks';

export interface S3LockHolder extends LockHolder {
  /** Seconds the lock lives after its last heartbeat (its Last-Modified). */
  ttlSeconds: number;
}

/** The few object operations the lock needs; s3-store.ts provides them (errors already ArtifactErrors). */
export interface LockObjects {
  url(key: string): string;
  put(key: string, body: string): Promise<void>;
  /** Every object directly or deeper under `prefix` with its Last-Modified (the server's clock). */
  list(prefix: string): Promise<{ key: string; lastModified: Date }[]>;
  /** The object's text, at most `maxBytes` (undefined when missing or larger). */
  read(key: string, maxBytes: number): Promise<string | undefined>;
  remove(key: string): Promise<void>;
}

export interface S3LockTiming {
  ttlSeconds: number;
  heartbeatMs: number;
  /** How long to wait for a run with a larger key to withdraw before refusing. */
  settleMs: number;
  pollMs: number;
  /** Bound on release's DELETE: a run never hangs at its end on an unreachable S3. */
  releaseTimeoutMs: number;
}

/** Renewed every minute, stale after five without a renewal: a killed run blocks the next for at most that. */
export const DEFAULT_TIMING: S3LockTiming = { ttlSeconds: 300, heartbeatMs: 60_000, settleMs: 10_000, pollMs: 250, releaseTimeoutMs: 30_000 };

const MAX_LOCK_BYTES = 4096;
const LOCK_NAME = /^(\d{8}T\d{6}\.\d{3}Z)-([0-9a-f]{16})\.json$/;

/** The deployment's folder of lock objects under the location's key prefix (a digest for a name too long). */
export function lockFolder(prefix: string, deployment: string): string {
  const segment = lengthProblem(`${deployment}.lock`) === undefined ? deployment : createHash('sha256').update(deployment).digest('hex');
  return [prefix, LOCKS_FOLDER, segment].filter((p) => p !== '').join('/');
}

/** `<YYYYMMDDTHHMMSS.mmmZ>-<16 hex>.json`: fixed width, so the key order is the order of creation times. */
export function lockName(now: Date, random: string): string {
  return `${now.toISOString().replace(/[-:]/g, '')}-${random}.json`;
}

export interface SeenLock {
  key: string;
  lastModified: Date;
  /** undefined: the object does not say who holds it (unreadable, too large, not ours). */
  holder?: S3LockHolder;
}

/** Why a lock is stale by its heartbeat, judged on the server's clock; undefined while it lives. */
export function expiredBecause(lock: SeenLock, serverNow: Date, defaultTtlSeconds: number): string | undefined {
  const ttl = lock.holder?.ttlSeconds ?? defaultTtlSeconds;
  const age = (serverNow.getTime() - lock.lastModified.getTime()) / 1000;
  return age > ttl ? `its last heartbeat was at ${lock.lastModified.toISOString()}, more than ${ttl} s ago` : undefined;
}

export type Decision = { kind: 'proceed' } | { kind: 'refuse'; winner: SeenLock } | { kind: 'wait'; for: SeenLock[] };

/** Given the other LIVE locks: the oldest key wins; younger ones may still withdraw, so wait for them. */
export function decide(mine: string, others: readonly SeenLock[]): Decision {
  const sorted = [...others].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const older = sorted.find((o) => o.key < mine);
  if (older) return { kind: 'refuse', winner: older };
  const younger = sorted.filter((o) => o.key > mine);
  return younger.length > 0 ? { kind: 'wait', for: younger } : { kind: 'proceed' };
}

export async function acquireS3RunLock(
  objects: LockObjects,
  folder: string,
  deployment: string,
  report: (line: string) => void,
  timing: S3LockTiming = DEFAULT_TIMING,
): Promise<RunLock> {
  const mine = `${folder}/${lockName(new Date(), randomBytes(8).toString('hex'))}`;
  const holder: S3LockHolder = { ...(await currentHolder(deployment)), ttlSeconds: timing.ttlSeconds };
  const body = JSON.stringify(holder) + '\n';
  await objects.put(mine, body);
  let refusal: Error | undefined;
  try {
    await contend(objects, folder, mine, deployment, report, timing);
  } catch (error) {
    refusal = error as Error;
  }
  if (refusal) {
    await objects.remove(mine).catch(() => undefined);
    throw refusal;
  }
  return heldLock(objects, mine, body, report, timing);
}

/** Steps 2 and 3: returns when this run holds the lock, throws RunLockedError when another does. */
async function contend(objects: LockObjects, folder: string, mine: string, deployment: string, report: (line: string) => void, timing: S3LockTiming): Promise<void> {
  const known = new Map<string, SeenLock>();
  const removed = new Set<string>();
  const started = Date.now();
  for (;;) {
    const listed = await objects.list(`${folder}/`);
    const own = listed.find((o) => o.key === mine);
    if (!own) {
      throw new RunLockedError(`the run lock ${objects.url(mine)} was written but is not listed: this object store's listings lag behind its writes, so two runs could not be kept apart`, {
        hint: 'use an S3 service with read-after-write consistent listings (AWS S3, MinIO, Ceph RGW), or a local --artifact-path',
      });
    }
    const others: SeenLock[] = [];
    for (const o of listed) {
      if (o.key === mine || removed.has(o.key) || !LOCK_NAME.test(o.key.slice(folder.length + 1))) continue;
      let seen = known.get(o.key);
      if (!seen || seen.lastModified.getTime() !== o.lastModified.getTime()) {
        const holder = parseS3Holder(await objects.read(o.key, MAX_LOCK_BYTES).catch(() => undefined));
        seen = { key: o.key, lastModified: o.lastModified, holder };
        known.set(o.key, seen);
      }
      const why = expiredBecause(seen, own.lastModified, timing.ttlSeconds) ?? (seen.holder && (await isStale(seen.holder)) ? 'its process no longer runs' : undefined);
      if (why) {
        removed.add(o.key);
        const who = seen.holder ? describe(seen.holder) : 'an unknown run';
        report(`${who} left its run lock ${objects.url(o.key)} behind (${why}): removing it`);
        // Another run may remove it at the same time; either way it is ignored from now on.
        await objects.remove(o.key).catch(() => undefined);
        continue;
      }
      others.push(seen);
    }
    const decision = decide(mine, others);
    if (decision.kind === 'proceed') return;
    if (decision.kind === 'refuse') throw lockedBy(objects, decision.winner, deployment);
    if (Date.now() - started >= timing.settleMs) throw lockedBy(objects, decision.for[0]!, deployment);
    await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
  }
}

function parseS3Holder(text: string | undefined): S3LockHolder | undefined {
  const holder = parseHolder(text);
  if (!holder) return undefined;
  const ttl = (holder as Partial<S3LockHolder>).ttlSeconds;
  return Number.isSafeInteger(ttl) && ttl! > 0 ? (holder as S3LockHolder) : undefined;
}

function lockedBy(objects: LockObjects, lock: SeenLock, deployment: string): RunLockedError {
  const url = objects.url(lock.key);
  const expiry = (ttl: number) => `it expires ${ttl} s after its last heartbeat (${lock.lastModified.toISOString()})`;
  if (!lock.holder) {
    return new RunLockedError(`the run lock ${url} of deployment ${quoteName(deployment)} exists but does not say who holds it`, {
      hint: `${expiry(DEFAULT_TIMING.ttlSeconds)}; if no bbr-ts run of this deployment is going on, remove it (aws s3 rm ${url}) and run again`,
    });
  }
  const sameHost = lock.holder.host === os.hostname();
  return new RunLockedError(`another run of deployment ${quoteName(deployment)} is going on: ${describe(lock.holder)} holds ${url}`, {
    hint: sameHost
      ? 'wait for it to finish (two runs of one deployment must not overlap)'
      : `wait for it to finish; if that process no longer runs on ${quoteName(lock.holder.host)}, ${expiry(lock.holder.ttlSeconds)}, or remove it (aws s3 rm ${url}) and run again`,
  });
}

/** Holds the lock: renews it every heartbeat, removes it on release (bounded, never throwing). */
function heldLock(objects: LockObjects, key: string, body: string, report: (line: string) => void, timing: S3LockTiming): RunLock {
  const url = objects.url(key);
  let renewing: Promise<void> | undefined;
  let lastRenewed = Date.now();
  let released = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = objects
      .put(key, body)
      .then(
        () => {
          lastRenewed = Date.now();
        },
        (error: unknown) => {
          const silentFor = Math.round((Date.now() - lastRenewed) / 1000);
          report(
            `cannot renew the run lock ${url} (${(error as Error).message}); not renewed for ${silentFor} s: after ${timing.ttlSeconds} s another run may take it over as stale`,
          );
        },
      )
      .finally(() => {
        renewing = undefined;
      });
  }, timing.heartbeatMs);
  // The heartbeat must not keep a finished process alive.
  timer.unref();
  return {
    location: url,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      // A renewal landing after the DELETE would bring the lock back: let it finish first.
      await renewing;
      let timeout: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timeout = setTimeout(() => reject(new ArtifactError(`no answer within ${timing.releaseTimeoutMs / 1000} s`)), timing.releaseTimeoutMs);
      });
      try {
        await Promise.race([objects.remove(key), deadline]);
      } catch (error) {
        report(`cannot remove the run lock ${url} (${(error as Error).message}): the next run takes it over ${timing.ttlSeconds} s after this one ends, or remove it (aws s3 rm ${url})`);
      } finally {
        clearTimeout(timeout);
      }
    },
  };
}
