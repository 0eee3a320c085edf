import { describe, expect, it } from 'vitest';
import { CancelledError, ExitBit, LockError, ScriptError, UnlockError } from '../errors.js';
import type { RunContext } from './context.js';
import { RunRecorder } from './recorder.js';

function recorder(): RunRecorder {
  const interrupt = new AbortController();
  interrupt.abort();
  const ctx: RunContext = {
    events: () => {},
    signal: interrupt.signal,
    forceSignal: new AbortController().signal,
    parallelism: 1,
    scriptTimeoutMs: undefined,
    bbrTsVersion: 'test',
  };
  return new RunRecorder(ctx);
}

function cancelled(script: string, job: string, instance: string): ScriptError {
  return new ScriptError({ instance, job, script, exitCode: null, signal: null, timedOut: false, cancelled: true, stdoutTail: '', stderrTail: '' });
}

describe('RunRecorder and the operator\'s interrupt', () => {
  it('records a lock script stopped by the interrupt as the interrupt (exit 1), naming every stopped script', () => {
    const rec = recorder();
    rec.failIn(LockError, cancelled('pre-backup-lock', 'db', 'db/0'));
    rec.failIn(LockError, cancelled('pre-backup-lock', 'app', 'web/1'));
    expect(rec.failures).toHaveLength(1);
    expect(rec.failures[0]).toBeInstanceOf(CancelledError);
    expect(rec.failures[0]!.message).toBe(
      "the run was interrupted by the operator, which stopped the pre-backup-lock script of job 'db' on db/0, the pre-backup-lock script of job 'app' on web/1",
    );
    expect(rec.outcome().exitCode).toBe(ExitBit.generic);
  });

  it('keeps a stopped unlock an unlock failure: the job may still be locked (bit 8)', () => {
    const rec = recorder();
    rec.failIn(UnlockError, cancelled('post-backup-unlock', 'db', 'db/0'));
    expect(rec.failures[0]).toBeInstanceOf(UnlockError);
    expect(rec.outcome().exitCode & ExitBit.unlock).toBe(ExitBit.unlock);
  });

  it('keeps advice given with the interrupt when a stopped script is named later', () => {
    const rec = recorder();
    rec.noteCancelled({ hint: 'these jobs may still be locked: db on db/0' });
    rec.failIn(LockError, cancelled('pre-backup-lock', 'db', 'db/0'));
    expect(rec.failures).toHaveLength(1);
    expect(rec.failures[0]!.hint).toBe('these jobs may still be locked: db on db/0');
    expect(rec.failures[0]!.message).toMatch(/which stopped the pre-backup-lock script of job 'db' on db\/0$/);
  });
});
