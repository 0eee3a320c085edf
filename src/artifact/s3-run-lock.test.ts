// The S3 run lock's ordering and staleness rules, over an in-memory bucket whose clock the test sets (the
// e2e test test/e2e/s3-run-lock.test.ts runs it against the real Swift server).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { RunLockedError } from '../errors.js';
import { acquireS3RunLock, decide, DEFAULT_TIMING, expiredBecause, lockFolder, lockName, type LockObjects, type SeenLock } from './s3-run-lock.js';

const FOLDER = 'cf/.bbr-ts-locks/example';
const FAST = { ...DEFAULT_TIMING, settleMs: 200, pollMs: 10 };

/** Objects with a server clock; `onList` lets a test change the bucket between listings. */
function bucket(now = new Date('2026-12-03T08:00:00Z')) {
  const objects = new Map<string, { body: string; lastModified: Date }>();
  const calls: string[] = [];
  let onList: (count: number) => void = () => undefined;
  let lists = 0;
  const api: LockObjects & { objects: typeof objects; calls: string[]; now: Date; onList: (f: (count: number) => void) => void; hideFromListing?: string } = {
    objects,
    calls,
    now,
    onList: (f) => {
      onList = f;
    },
    url: (key) => `s3://bk/${key}`,
    async put(key, body) {
      calls.push(`put ${key}`);
      objects.set(key, { body, lastModified: api.now });
    },
    async list(prefix) {
      onList(++lists);
      return [...objects]
        .filter(([key]) => key.startsWith(prefix) && key !== api.hideFromListing)
        .map(([key, o]) => ({ key, lastModified: o.lastModified }));
    },
    async read(key, maxBytes) {
      const body = objects.get(key)?.body;
      return body !== undefined && body.length <= maxBytes ? body : undefined;
    },
    async remove(key) {
      calls.push(`remove ${key}`);
      objects.delete(key);
    },
  };
  return api;
}

const holder = (extra: object = {}) => JSON.stringify({ pid: 4242, host: 'backup-vm-2', startedAt: '2026-12-03T07:59:00.000Z', deployment: 'example', ttlSeconds: 300, ...extra });
const keyAt = (iso: string, random = '0000000000000000') => `${FOLDER}/${lockName(new Date(iso), random)}`;
const mineIn = (b: ReturnType<typeof bucket>) => [...b.objects.keys()].filter((k) => JSON.parse(b.objects.get(k)!.body).pid === process.pid);

describe('S3 run lock: ordering', () => {
  const lock = (key: string): SeenLock => ({ key, lastModified: new Date(0) });
  it('the oldest key wins; keys of one millisecond are ordered by their random part', () => {
    const a = keyAt('2026-12-03T08:00:00.000Z', '00000000000000aa');
    const b = keyAt('2026-12-03T08:00:00.000Z', '00000000000000bb');
    const later = keyAt('2026-12-03T08:00:00.001Z');
    expect(decide(b, [lock(a)])).toEqual({ kind: 'refuse', winner: lock(a) });
    expect(decide(a, [lock(b)])).toEqual({ kind: 'wait', for: [lock(b)] });
    expect(decide(later, [lock(b), lock(a)])).toEqual({ kind: 'refuse', winner: lock(a) });
    expect(decide(a, [])).toEqual({ kind: 'proceed' });
  });

  it('names sort as times do (fixed width), and long deployment names become a digest', () => {
    const names = ['2026-12-03T09:00:00.000Z', '2026-12-03T10:00:00.000Z', '2027-01-01T00:00:00.000Z'].map((t) => lockName(new Date(t), 'ffffffffffffffff'));
    expect([...names].sort()).toEqual(names);
    expect(names[0]).toBe('20261203T090000.000Z-ffffffffffffffff.json');
    expect(lockFolder('cf/prod', 'example')).toBe('cf/prod/.bbr-ts-locks/example');
    expect(lockFolder('', 'example')).toBe('.bbr-ts-locks/example');
    expect(lockFolder('', 'd'.repeat(255))).toMatch(/^\.bbr-ts-locks\/[0-9a-f]{64}$/);
  });

  it('expiry is judged on the server clock, with the holder\'s own ttl', () => {
    const seen = { key: 'k', lastModified: new Date('2026-12-03T08:00:00Z'), holder: JSON.parse(holder({ ttlSeconds: 60 })) };
    expect(expiredBecause(seen, new Date('2026-12-03T08:01:00Z'), 300)).toBeUndefined();
    expect(expiredBecause(seen, new Date('2026-12-03T08:01:01Z'), 300)).toMatch(/last heartbeat was at 2026-12-03T08:00:00.000Z, more than 60 s ago/);
    expect(expiredBecause({ key: 'k', lastModified: seen.lastModified }, new Date('2026-12-03T08:04:00Z'), 300)).toBeUndefined();
  });
});

describe('S3 run lock: acquiring', () => {
  it('takes a free lock, holds who runs in its own object, and removes it on release', async () => {
    const b = bucket();
    const lock = await acquireS3RunLock(b, FOLDER, 'example', () => undefined, FAST);
    const [key] = mineIn(b);
    expect(key).toMatch(/^cf\/\.bbr-ts-locks\/example\/\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.json$/);
    expect(lock.location).toBe(`s3://bk/${key}`);
    expect(JSON.parse(b.objects.get(key!)!.body)).toMatchObject({ pid: process.pid, host: os.hostname(), deployment: 'example', ttlSeconds: 300 });
    await lock.release();
    expect(b.objects.size).toBe(0);
  });

  it('refuses when an older live lock exists, naming its holder, and withdraws its own object', async () => {
    const b = bucket();
    const older = keyAt('2026-12-03T07:59:00.000Z');
    b.objects.set(older, { body: holder(), lastModified: b.now });
    const attempt = acquireS3RunLock(b, FOLDER, 'example', () => undefined, FAST);
    await expect(attempt).rejects.toThrow(RunLockedError);
    await expect(attempt).rejects.toThrow(`another run of deployment "example" is going on: bbr-ts pid 4242 on host "backup-vm-2", started 2026-12-03T07:59:00.000Z holds s3://bk/${older}`);
    await attempt.catch((e: RunLockedError) => expect(e.hint).toContain(`if that process no longer runs on "backup-vm-2", it expires 300 s after its last heartbeat`));
    expect([...b.objects.keys()]).toEqual([older]);
  });

  it('waits for a younger contender to withdraw, then proceeds', async () => {
    const b = bucket();
    const younger = keyAt('2099-01-01T00:00:00.000Z');
    b.objects.set(younger, { body: holder(), lastModified: b.now });
    b.onList((count) => {
      if (count === 3) b.objects.delete(younger);
    });
    const lock = await acquireS3RunLock(b, FOLDER, 'example', () => undefined, FAST);
    expect(mineIn(b)).toHaveLength(1);
    await lock.release();
  });

  it('refuses when a younger contender stays: it did not see this run and runs', async () => {
    const b = bucket();
    const younger = keyAt('2099-01-01T00:00:00.000Z');
    b.objects.set(younger, { body: holder(), lastModified: b.now });
    await expect(acquireS3RunLock(b, FOLDER, 'example', () => undefined, FAST)).rejects.toThrow(`bbr-ts pid 4242 on host "backup-vm-2", started 2026-12-03T07:59:00.000Z holds s3://bk/${younger}`);
    expect([...b.objects.keys()]).toEqual([younger]);
  });

  it('a lock without a heartbeat for longer than its ttl is reported, removed and taken over', async () => {
    const b = bucket();
    const old = keyAt('2026-12-03T07:00:00.000Z');
    b.objects.set(old, { body: holder({ ttlSeconds: 300 }), lastModified: new Date(b.now.getTime() - 301_000) });
    const reports: string[] = [];
    const lock = await acquireS3RunLock(b, FOLDER, 'example', (line) => reports.push(line), FAST);
    expect(reports).toEqual([
      `bbr-ts pid 4242 on host "backup-vm-2", started 2026-12-03T07:59:00.000Z left its run lock s3://bk/${old} behind (its last heartbeat was at 2026-12-03T07:54:59.000Z, more than 300 s ago): removing it`,
    ]);
    expect(b.objects.has(old)).toBe(false);
    await lock.release();
  });

  it('a lock of this host whose process is gone is stale at once; one of another host is not', async () => {
    const deadPid = Number(execFileSync('sh', ['-c', 'echo $$']).toString().trim());
    const b = bucket();
    const dead = keyAt('2026-12-03T07:59:00.000Z', '000000000000000d');
    b.objects.set(dead, { body: holder({ pid: deadPid, host: os.hostname() }), lastModified: b.now });
    const reports: string[] = [];
    const lock = await acquireS3RunLock(b, FOLDER, 'example', (line) => reports.push(line), FAST);
    expect(reports[0]).toContain(`bbr-ts pid ${deadPid} on host "${os.hostname()}"`);
    expect(reports[0]).toContain('(its process no longer runs): removing it');
    await lock.release();
  });

  it('an unreadable lock object is respected until it expires (default ttl)', async () => {
    const b = bucket();
    const garbage = keyAt('2026-12-03T07:59:00.000Z');
    b.objects.set(garbage, { body: 'garbage', lastModified: b.now });
    await expect(acquireS3RunLock(b, FOLDER, 'example', () => undefined, FAST)).rejects.toThrow('exists but does not say who holds it');
    b.objects.set(garbage, { body: 'garbage', lastModified: new Date(b.now.getTime() - 301_000) });
    const reports: string[] = [];
    const lock = await acquireS3RunLock(b, FOLDER, 'example', (line) => reports.push(line), FAST);
    expect(reports[0]).toMatch(/^an unknown run left its run lock .* behind/);
    await lock.release();
  });

  it('objects in the folder that are not lock objects are ignored', async () => {
    const b = bucket();
    b.objects.set(`${FOLDER}/notes.txt`, { body: holder(), lastModified: b.now });
    b.objects.set(`${FOLDER}/sub/${lockName(new Date(0), '0000000000000000')}`, { body: holder(), lastModified: b.now });
    const lock = await acquireS3RunLock(b, FOLDER, 'example', () => undefined, FAST);
    await lock.release();
    expect(b.objects.size).toBe(2);
  });

  it('refuses when its own fresh object is not listed: the store\'s listings lag', async () => {
    const b = bucket();
    b.put = async (key, body) => {
      b.objects.set(key, { body, lastModified: b.now });
      b.hideFromListing = key;
    };
    await expect(acquireS3RunLock(b, FOLDER, 'example', () => undefined, FAST)).rejects.toThrow(/was written but is not listed/);
    expect(b.objects.size).toBe(0);
  });

  it('renews the lock while held, and release waits for a renewal in flight before removing it', async () => {
    const b = bucket();
    const lock = await acquireS3RunLock(b, FOLDER, 'example', () => undefined, { ...FAST, heartbeatMs: 5 });
    const [key] = mineIn(b);
    await vi.waitFor(() => expect(b.calls.filter((c) => c === `put ${key}`).length).toBeGreaterThanOrEqual(3));
    // A slow renewal: release must wait for it, or the PUT landing after the DELETE would bring the lock back.
    let slowStarted = false;
    const put = b.put.bind(b);
    b.put = async (k, body) => {
      slowStarted = true;
      await new Promise((resolve) => setTimeout(resolve, 50));
      await put(k, body);
      b.calls.push('slow put done');
    };
    await vi.waitFor(() => expect(slowStarted).toBe(true));
    await lock.release();
    expect(b.calls.slice(-2)).toEqual(['slow put done', `remove ${key}`]);
    expect(b.objects.has(key!)).toBe(false);
  });

  it('release never throws and says how to clear a lock it could not remove', async () => {
    const b = bucket();
    const reports: string[] = [];
    const lock = await acquireS3RunLock(b, FOLDER, 'example', (line) => reports.push(line), FAST);
    b.remove = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    await lock.release();
    expect(reports[0]).toMatch(/^cannot remove the run lock s3:\/\/bk\/.*\(connect ECONNREFUSED\): the next run takes it over 300 s after this one ends, or remove it \(aws s3 rm s3:\/\/bk\//);
  });
});
