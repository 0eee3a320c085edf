import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CancelledError, CleanupError, ConnectionError, DrainError, PreconditionError, remedyStep, ScriptError, UnlockError, type Remedy } from '../errors.js';
import { guardUnfinishedRun, reportFailures, STALLED_RUN_MESSAGE } from './exit.js';

describe('reportFailures', () => {
  it('never passes an instance\'s control characters to the terminal, and keeps its lines right of our own', () => {
    const script = new ScriptError({
      instance: 'db/0',
      job: 'db\x1b[31m',
      script: 'backup',
      exitCode: 1,
      signal: null,
      timedOut: false,
      cancelled: false,
      stdoutTail: 'all fine\x1b[1A',
      stderrTail: 'boom\n\x1b]0;pwned\x07\x1b[2J All good\r\nerror 2: nothing failed',
    });
    const connection = new ConnectionError('finding scripts failed on web/0: no\nerror 3: fake\n  next step: rm -rf /', { hint: 'retry\nnext step: fake' });
    const { text } = reportFailures([script, connection, new UnlockError('unlock failed')], { commandFor: () => 'bbr-ts x\x1b[2J', cleanupAfterFailure: 'backup-cleanup' });
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(text).toContain("backup script of job 'db\\x1b[31m' on db/0 exited with status 1");
    expect(text).toContain('    stdout (last lines):\n      all fine\\x1b[1A\n');
    expect(text).toContain('      \\x1b]0;pwned\\x07\\x1b[2J All good\\r\n');
    // Only our own lines start with "error N:" or "  next step:".
    expect(text.match(/^error \d+:/gm)).toEqual(['error 1:', 'error 2:', 'error 3:']);
    expect(text.match(/^ {2}next step:.*/gm)).toEqual(['  next step: retry']);
    expect(text).toContain('  next step: retry\n    next step: fake\n');
    expect(text).toContain('\n    error 3: fake\n      next step: rm -rf /\n');
    expect(text).toContain('run `bbr-ts x\\x1b[2J`');
  });
});

describe('reportFailures: remedies become the command to paste', () => {
  const commandFor = (remedy: Remedy) => `bbr-ts deployment --manifest 'm y.yml' ${remedy}`;
  const footers = (text: string) => text.match(/^It is recommended that you run .*$/gm) ?? [];

  it('prints the exact command once below errors whose hints name their remedy', () => {
    const leftover = new PreconditionError('directory exists on db/0', { hint: `run ${remedyStep('restore-cleanup')} to remove it`, remedy: 'restore-cleanup' });
    const unlock = new UnlockError('unlock failed', { hint: `then run ${remedyStep('restore-cleanup')} to unlock it`, remedy: 'restore-cleanup' });
    const { text } = reportFailures([leftover, unlock], { commandFor, cleanupAfterFailure: 'restore-cleanup' });
    expect(text).toContain('  next step: run the restore-cleanup command below to remove it\n');
    expect(footers(text)).toEqual([
      "It is recommended that you run `bbr-ts deployment --manifest 'm y.yml' restore-cleanup` to ensure that any temp files are cleaned up and all jobs are unlocked.",
    ]);
  });

  it('finds the remedy of a wrapped failure, even before anything counted as connected', () => {
    const wrapped = new UnlockError('unlock failed', { cause: new CleanupError('inner', { remedy: 'backup-cleanup' }) });
    expect(footers(reportFailures([wrapped], { commandFor }).text)).toEqual([expect.stringContaining("'m y.yml' backup-cleanup`")]);
  });

  it("recommends the run's own cleanup after drain failures and interrupts, as BBR does, once connected", () => {
    for (const failure of [new DrainError('drain failed'), new CancelledError('interrupted')]) {
      expect(footers(reportFailures([failure], { commandFor, cleanupAfterFailure: 'backup-cleanup' }).text)).toEqual([expect.stringContaining(' backup-cleanup`')]);
      expect(footers(reportFailures([failure], { commandFor }).text)).toEqual([]);
    }
  });

  it('recommends nothing for failures that leave nothing behind', () => {
    expect(footers(reportFailures([new ConnectionError('refused')], { commandFor, cleanupAfterFailure: 'backup-cleanup' }).text)).toEqual([]);
  });

  it('names the remedy when no command line is known', () => {
    const { text } = reportFailures([new UnlockError('unlock failed', { remedy: 'backup-cleanup' })]);
    expect(footers(text)).toEqual(['It is recommended that you run bbr-ts backup-cleanup for this deployment to ensure that any temp files are cleaned up and all jobs are unlocked.']);
  });
});

describe('guardUnfinishedRun', () => {
  function fakeProcess() {
    const proc = Object.assign(new EventEmitter(), { exits: [] as number[], exit: (code: number) => void proc.exits.push(code) });
    const written: string[] = [];
    return { proc, written, stderr: { write: (text: string) => written.push(text) } };
  }

  it('reports an event loop that empties before the run finished, and fails', () => {
    const { proc, written, stderr } = fakeProcess();
    guardUnfinishedRun(proc, stderr);
    proc.emit('beforeExit');
    expect(written).toEqual([`${STALLED_RUN_MESSAGE}\n`]);
    expect(proc.exits).toEqual([1]);
  });

  it('stays quiet once the run finished', () => {
    const { proc, written, stderr } = fakeProcess();
    const finished = guardUnfinishedRun(proc, stderr);
    finished();
    proc.emit('beforeExit');
    expect(written).toEqual([]);
    expect(proc.exits).toEqual([]);
  });
});
