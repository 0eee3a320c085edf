import { describe, expect, it } from 'vitest';
import { ScriptError, UnlockError } from '../errors.js';
import type { ScriptName } from '../contract/paths.js';
import type { RunContext } from './context.js';
import { LockLedger, unlockJobs } from './locking.js';
import type { DeployedJob } from './open-deployment.js';
import type { ScriptPlan } from './plan.js';
import { RunRecorder } from './recorder.js';

const ctx: RunContext = {
  events: () => {},
  signal: new AbortController().signal,
  forceSignal: new AbortController().signal,
  parallelism: 1,
  scriptTimeoutMs: undefined,
  bbrTsVersion: '0.0.0-test',
};

/** Every script fails, as an unlock script that exits 1 does. */
class FailingScripts extends RunRecorder {
  override script(job: DeployedJob, script: ScriptName): Promise<void> {
    const failure = { instance: job.instance, job: job.name, script, exitCode: 1, signal: null, timedOut: false, cancelled: false, stdoutTail: '', stderrTail: 'no' };
    return Promise.reject(new ScriptError(failure));
  }
}

const job = { name: 'database', instance: 'db/0', scripts: new Set(['pre-restore-lock', 'post-restore-unlock']) } as unknown as DeployedJob;
const plan: ScriptPlan = { lockScript: 'pre-restore-lock', mainScript: 'restore', unlockScript: 'post-restore-unlock', lockWaves: [[job]], mainJobs: [], unlockWaves: [[job]] };

describe('unlockJobs', () => {
  it('asks for the remedy it is given when a job may still be locked, and says so in the hint', async () => {
    const rec = new FailingScripts(ctx);
    const ledger = new LockLedger();
    ledger.attempted.add(job);
    await unlockJobs(ctx, rec, plan, ledger, {}, 'restore-cleanup');
    expect(rec.failures).toHaveLength(1);
    expect(rec.failures[0]).toBeInstanceOf(UnlockError);
    expect(rec.failures[0]).toMatchObject({ remedy: 'restore-cleanup' });
    expect(rec.failures[0]!.hint).toBe("job 'database' on db/0 may still be LOCKED: fix what its post-restore-unlock script reports, then run the restore-cleanup command below to unlock it");
  });
});
