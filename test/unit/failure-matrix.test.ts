// The workflows' failure matrix, fast: every failure point (connect, metadata, lock in each wave, the main
// script, unlock, drain/upload, cleanup) and the operator's Ctrl-C at each phase, against what must follow: which
// scripts ran in which order, BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL given to unlock, the exit bits, the artifact
// left on disk and what is left on the instances. The real workflow functions run over recording in-memory
// instances (test/support/memory-instance.ts) and a real local artifact store on a temporary folder.
//
// Expectations come from BBR's behaviour (/work/shared/reference/bbr-contract.md §1.5 exit codes, §3.2 backup,
// §3.4 restore, §3.5 cleanups, §6 executors) and from where bbr-ts deliberately differs (README "Differences from
// BBR": Ctrl-C unlocks and cleans up; a backup whose data may be incomplete ends as `….failed`; a failed upload's
// directory is removed too). They are not read off the code.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localBackup, localStore } from '../../src/artifact/local-store.js';
import { parseBackupMetadata, type BackupMetadata } from '../../src/artifact/metadata-file.js';
import type { ScriptName } from '../../src/contract/paths.js';
import { exitCodeOf } from '../../src/errors.js';
import { backup } from '../../src/orchestrate/backup.js';
import { backupCleanup, restoreCleanup } from '../../src/orchestrate/cleanup.js';
import type { RunContext } from '../../src/orchestrate/context.js';
import { openDeployment, type OpenDeployment } from '../../src/orchestrate/open-deployment.js';
import type { RunOutcome } from '../../src/orchestrate/recorder.js';
import { restoreVerified } from '../../src/orchestrate/restore.js';
import type { RunEvent } from '../../src/orchestrate/events.js';
import { MemoryFleet, payloadOf, type FaultAction, type FaultMatch, type InstanceState, type MemoryInstanceSpec } from '../support/memory-instance.js';
import { useScratchDir } from '../support/scratch-dir.js';

// ---------------------------------------------------------------------------------------------------------------
// The deployment: two `app` instances locked in wave 1, one `database` in wave 2 (app's metadata says it must be
// locked before database, for backup and for restore). Unlock runs the waves in reverse: database, then app.

const ALL_SCRIPTS: ScriptName[] = ['metadata', 'pre-backup-lock', 'backup', 'post-backup-unlock', 'pre-restore-lock', 'restore', 'post-restore-unlock'];
const APP_METADATA = [
  'backup_should_be_locked_before:',
  '- job_name: database',
  '  release: db-release',
  'restore_should_be_locked_before:',
  '- job_name: database',
  '  release: db-release',
  '',
].join('\n');

const DB_DIR = '/var/vcap/store/bbr-backup/database/';

function deploymentSpecs(leftover: Partial<Record<string, MemoryInstanceSpec['leftover']>> = {}): MemoryInstanceSpec[] {
  return [
    { group: 'web', index: 0, jobs: [{ name: 'app', release: 'app-release', scripts: ALL_SCRIPTS, metadata: APP_METADATA }], leftover: leftover['web/0'] },
    { group: 'web', index: 1, jobs: [{ name: 'app', release: 'app-release', scripts: ALL_SCRIPTS, metadata: APP_METADATA }], leftover: leftover['web/1'] },
    { group: 'db', index: 0, jobs: [{ name: 'database', release: 'db-release', scripts: ALL_SCRIPTS }], leftover: leftover['db/0'] },
  ];
}

const DEPLOYMENT = 'films';
const START = new Date('2026-01-01T00:00:00Z');
const ARTIFACT_NAME = 'films_20260101T000000Z';

// Script lines as MemoryFleet.scriptLines({ env: 'BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL' }) writes them. A group is
// what may run in any order (one wave, one parallel batch); groups follow each other in the order given.
type Groups = string[][];

const backupLockWave1 = ['pre-backup-lock app web/0', 'pre-backup-lock app web/1'];
const backupLockWave2 = ['pre-backup-lock database db/0'];
const backupScripts = ['backup app web/0', 'backup app web/1', 'backup database db/0'];
const backupUnlock = (successful: boolean): Groups => [
  [`post-backup-unlock database db/0 BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL=${successful}`],
  [`post-backup-unlock app web/0 BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL=${successful}`, `post-backup-unlock app web/1 BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL=${successful}`],
];
const fullBackup: Groups = [backupLockWave1, backupLockWave2, backupScripts, ...backupUnlock(true)];

const restoreLocks: Groups = [['pre-restore-lock app web/0', 'pre-restore-lock app web/1'], ['pre-restore-lock database db/0']];
// BBR restores instance after instance (deployment.go Restore), so each restore script is its own group.
const restoreScripts: Groups = [['restore app web/0'], ['restore app web/1'], ['restore database db/0']];
const restoreUnlock: Groups = [['post-restore-unlock database db/0'], ['post-restore-unlock app web/0', 'post-restore-unlock app web/1']];
const fullRestore: Groups = [...restoreLocks, ...restoreScripts, ...restoreUnlock];

const CLEAN: InstanceState = { artifactRootExists: false, artifactDirs: [], locked: [], openConnections: 0 };

// ---------------------------------------------------------------------------------------------------------------
// Faults. `run` is the operator's first Ctrl-C (the run's signal); `force` their insisting (unlock and cleanup).

interface Controllers {
  run: AbortController;
  force: AbortController;
}

type FaultList = (c: Controllers) => [FaultMatch, FaultAction][];

const fail = (at: FaultMatch): FaultList => () => [[at, { fail: 'injected failure' }]];
/** The operator's Ctrl-C while this call runs. */
const cancelAt = (at: FaultMatch): FaultList => (c) => [[at, { abort: c.run }]];

const script = (instance: string, job: string, name: ScriptName): FaultMatch => ({ kind: 'script', instance, job, script: name });
const connectDb: FaultMatch = { kind: 'connect', instance: 'db/0' };
const connectWeb1: FaultMatch = { kind: 'connect', instance: 'web/1' };
const metadataDb = script('db/0', 'database', 'metadata');
const removeRootDb: FaultMatch = { kind: 'removeArtifacts', instance: 'db/0', root: true };

/** The first Ctrl-C, then the operator insisting (a second one) while this call hangs. */
const insistAt = (first: FaultMatch, at: FaultMatch): FaultList => (c) => [
  [first, { abort: c.run }],
  [at, { abort: c.force, hang: true }],
];

const APP_DIR = '/var/vcap/store/bbr-backup/app/';

interface Row {
  name: string;
  faults?: FaultList;
  leftover?: Partial<Record<string, MemoryInstanceSpec['leftover']>>;
  scripts: Groups;
  exit: number;
  /** What is left on each instance that is not clean. */
  left?: Partial<Record<string, Partial<InstanceState>>>;
  /**
   * Where bbr-ts does not do what the contract says today: the exit code it gives instead and why this is
   * reported rather than fixed here. The row then checks today's value, so that fixing the code makes it fail and
   * this entry is removed; every other expectation of the row is the contract's.
   */
  today?: { exit: number; why: string };
}

interface BackupRow extends Row {
  /**
   * The local artifact: none, `<name>` (complete) or `<name>.failed`, with how many artifacts its metadata lists
   * ('drained': exactly those whose drain finished before a Ctrl-C, however the parallel drains interleaved).
   */
  artifact: { state: 'none' } | { state: 'complete' | 'failed'; listed: number | 'drained' };
}

// ---------------------------------------------------------------------------------------------------------------
// The rows. Exit bits (contract §1.5): 1 generic (connect, metadata, backup, drain, restore, pre-restore-lock,
// backup-/restore-cleanup's removal, interrupt), 4 pre-backup-lock, 8 any unlock, 16 the final cleanup.

const backupRows: BackupRow[] = [
  { name: 'succeeds', scripts: fullBackup, exit: 0, artifact: { state: 'complete', listed: 3 } },
  // §3.2 step 1: FindDeployment failing ends the run: nothing locked, no artifact directory.
  { name: 'connect failure', faults: fail(connectDb), scripts: [], exit: 1, artifact: { state: 'none' } },
  { name: 'metadata failure', faults: fail(metadataDb), scripts: [], exit: 1, artifact: { state: 'none' } },
  // §3.2 step 2: a leftover remote artifact root refuses the backup and is not touched.
  {
    name: 'leftover artifact root',
    leftover: { 'db/0': { artifactDirs: [DB_DIR] } },
    scripts: [],
    exit: 1,
    artifact: { state: 'none' },
    left: { 'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR] } },
  },
  // §3.2 step 4: every lock wave runs even after a failure; no backup; unlock everything with false; exit 4.
  {
    name: 'lock failure in wave 1',
    faults: fail(script('web/0', 'app', 'pre-backup-lock')),
    scripts: [backupLockWave1, backupLockWave2, ...backupUnlock(false)],
    exit: 4,
    artifact: { state: 'failed', listed: 0 },
  },
  {
    name: 'lock failure in wave 2',
    faults: fail(script('db/0', 'database', 'pre-backup-lock')),
    scripts: [backupLockWave1, backupLockWave2, ...backupUnlock(false)],
    exit: 4,
    artifact: { state: 'failed', listed: 0 },
  },
  // §3.2 step 5: every backup script runs (one batch); unlock with false; no drain; remote directories removed.
  {
    name: 'backup script failure',
    faults: fail(script('db/0', 'database', 'backup')),
    scripts: [backupLockWave1, backupLockWave2, backupScripts, ...backupUnlock(false)],
    exit: 1,
    artifact: { state: 'failed', listed: 0 },
  },
  // §3.2 step 6a: unlock's later waves still run; the drain runs; exit 8. README: the backup is complete.
  {
    name: 'unlock failure',
    faults: fail(script('db/0', 'database', 'post-backup-unlock')),
    scripts: fullBackup,
    exit: 8,
    artifact: { state: 'complete', listed: 3 },
    left: { 'db/0': { locked: ['database (backup)'] } },
  },
  // §3.2 step 7: the other artifacts drain; the whole root is removed; exit 1; README: `.failed`.
  {
    name: 'drain failure',
    faults: fail({ kind: 'drain', instance: 'web/1' }),
    scripts: fullBackup,
    exit: 1,
    artifact: { state: 'failed', listed: 2 },
  },
  // §3.2 step 8: exit 16, the root stays where removing it failed; README: the backup is complete.
  {
    name: 'cleanup failure',
    faults: fail(removeRootDb),
    scripts: fullBackup,
    exit: 16,
    artifact: { state: 'complete', listed: 3 },
    left: { 'db/0': { artifactRootExists: true } },
  },
  // README "Ctrl-C / SIGTERM": the first signal stops new work and cancels running scripts, unlocks every job that
  // was locked, removes remote artifacts, and ends `….failed`; BBR's interrupt exits 1 (§1.5), not a lock failure.
  { name: 'cancel while connecting', faults: cancelAt(connectWeb1), scripts: [], exit: 1, artifact: { state: 'none' } },
  {
    name: 'cancel during lock wave 1',
    // The last job of the wave, so that both of the wave's locks have started when the Ctrl-C comes.
    faults: cancelAt(script('web/1', 'app', 'pre-backup-lock')),
    // Wave 2 is not started; only the jobs whose lock was attempted are unlocked.
    scripts: [backupLockWave1, backupUnlock(false)[1]!],
    exit: 1,
    artifact: { state: 'failed', listed: 0 },
  },
  {
    name: 'cancel during lock wave 2',
    faults: cancelAt(script('db/0', 'database', 'pre-backup-lock')),
    scripts: [backupLockWave1, backupLockWave2, ...backupUnlock(false)],
    exit: 1,
    artifact: { state: 'failed', listed: 0 },
  },
  {
    name: 'cancel during backup',
    faults: cancelAt(script('db/0', 'database', 'backup')),
    scripts: [backupLockWave1, backupLockWave2, backupScripts, ...backupUnlock(false)],
    exit: 1,
    artifact: { state: 'failed', listed: 0 },
  },
  {
    name: 'cancel during unlock',
    faults: cancelAt(script('db/0', 'database', 'post-backup-unlock')),
    // Unlock finishes (it obeys only the force signal); the backup had succeeded, so true; no drain after it.
    scripts: fullBackup,
    exit: 1,
    artifact: { state: 'failed', listed: 0 },
  },
  {
    name: 'cancel during drain',
    faults: cancelAt({ kind: 'drain', instance: 'web/1' }),
    scripts: fullBackup,
    exit: 1,
    artifact: { state: 'failed', listed: 'drained' },
  },
  {
    name: 'cancel during cleanup',
    faults: cancelAt(removeRootDb),
    scripts: fullBackup,
    exit: 1,
    artifact: { state: 'failed', listed: 3 },
  },
  // README: a second signal abandons unlock and cleanup. Nothing believed that is false: the exit code says jobs
  // may be locked (8) and remote directories are left (16); the jobs not unlocked stay locked.
  {
    name: 'operator insists during unlock',
    faults: insistAt(script('db/0', 'database', 'backup'), script('db/0', 'database', 'post-backup-unlock')),
    scripts: [backupLockWave1, backupLockWave2, backupScripts, backupUnlock(false)[0]!],
    exit: 1 | 8 | 16,
    artifact: { state: 'failed', listed: 0 },
    left: {
      'web/0': { artifactRootExists: true, artifactDirs: [APP_DIR], locked: ['app (backup)'] },
      'web/1': { artifactRootExists: true, artifactDirs: [APP_DIR], locked: ['app (backup)'] },
      'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR], locked: ['database (backup)'] },
    },
  },
];

const restoreRows: Row[] = [
  { name: 'succeeds', scripts: fullRestore, exit: 0 },
  { name: 'connect failure', faults: fail(connectDb), scripts: [], exit: 1 },
  { name: 'metadata failure', faults: fail(metadataDb), scripts: [], exit: 1 },
  {
    name: 'leftover artifact root',
    leftover: { 'db/0': { artifactDirs: [DB_DIR] } },
    scripts: [],
    exit: 1,
    left: { 'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR] } },
  },
  // §3.4 step 4: no lock, no restore; README/restore.ts: bbr-ts also removes the failed upload's directory.
  { name: 'upload failure', faults: fail({ kind: 'upload', instance: 'web/1' }), scripts: [], exit: 1 },
  // §3.4 step 5: the serial executor continues past failures; then unlock everything; generic (1), not 4.
  { name: 'pre-restore-lock failure in wave 1', faults: fail(script('web/0', 'app', 'pre-restore-lock')), scripts: [...restoreLocks, ...restoreUnlock], exit: 1 },
  { name: 'pre-restore-lock failure in wave 2', faults: fail(script('db/0', 'database', 'pre-restore-lock')), scripts: [...restoreLocks, ...restoreUnlock], exit: 1 },
  // §3.4 step 6: restore stops at the first instance that failed; unlock still runs.
  {
    name: 'restore script failure',
    faults: fail(script('web/1', 'app', 'restore')),
    scripts: [...restoreLocks, ...restoreScripts.slice(0, 2), ...restoreUnlock],
    exit: 1,
  },
  // §3.4 step 7: every unlock runs; exit 8.
  {
    name: 'post-restore-unlock failure',
    faults: fail(script('db/0', 'database', 'post-restore-unlock')),
    scripts: fullRestore,
    exit: 8,
    left: { 'db/0': { locked: ['database (restore)'] } },
  },
  // §3.4 step 8: exit 16; what was uploaded there stays.
  { name: 'cleanup failure', faults: fail(removeRootDb), scripts: fullRestore, exit: 16, left: { 'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR] } } },
  { name: 'cancel while connecting', faults: cancelAt(connectWeb1), scripts: [], exit: 1 },
  { name: 'cancel during upload', faults: cancelAt({ kind: 'upload', instance: 'web/1' }), scripts: [], exit: 1 },
  { name: 'cancel during pre-restore-lock', faults: cancelAt(script('db/0', 'database', 'pre-restore-lock')), scripts: [...restoreLocks, ...restoreUnlock], exit: 1 },
  {
    name: 'cancel during restore',
    faults: cancelAt(script('web/1', 'app', 'restore')),
    scripts: [...restoreLocks, ...restoreScripts.slice(0, 2), ...restoreUnlock],
    exit: 1,
  },
  { name: 'cancel during post-restore-unlock', faults: cancelAt(script('db/0', 'database', 'post-restore-unlock')), scripts: fullRestore, exit: 1 },
  {
    name: 'cancel during cleanup',
    faults: cancelAt(removeRootDb),
    scripts: fullRestore,
    exit: 1,
  },
  {
    name: 'operator insists during post-restore-unlock',
    faults: insistAt(script('web/1', 'app', 'restore'), script('db/0', 'database', 'post-restore-unlock')),
    scripts: [...restoreLocks, ...restoreScripts.slice(0, 2), restoreUnlock[0]!],
    exit: 1 | 8 | 16,
    left: {
      'web/0': { artifactRootExists: true, artifactDirs: [APP_DIR], locked: ['app (restore)'] },
      'web/1': { artifactRootExists: true, artifactDirs: [APP_DIR], locked: ['app (restore)'] },
      'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR], locked: ['database (restore)'] },
    },
  },
];

// A dead run left jobs locked and directories behind (§3.5).
const deadBackupRun = { 'web/0': { locked: [{ job: 'app', for: 'backup' as const }] }, 'db/0': { artifactDirs: [DB_DIR], locked: [{ job: 'database', for: 'backup' as const }] } };
const deadRestoreRun = { 'db/0': { artifactDirs: [DB_DIR], locked: [{ job: 'database', for: 'restore' as const }] } };
const untouchedBackupRun = { 'web/0': { locked: ['app (backup)'] }, 'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR], locked: ['database (backup)'] } };

const backupCleanupRows: Row[] = [
  // §3.5: unlock every job (false, reverse order, parallel within a wave), then remove the root everywhere.
  { name: 'succeeds', leftover: deadBackupRun, scripts: backupUnlock(false), exit: 0 },
  { name: 'connect failure', leftover: deadBackupRun, faults: fail(connectDb), scripts: [], exit: 1, left: untouchedBackupRun },
  { name: 'metadata failure', leftover: deadBackupRun, faults: fail(metadataDb), scripts: [], exit: 1, left: untouchedBackupRun },
  {
    name: 'unlock failure',
    leftover: deadBackupRun,
    faults: fail(script('db/0', 'database', 'post-backup-unlock')),
    scripts: backupUnlock(false),
    exit: 8,
    left: { 'db/0': { locked: ['database (backup)'] } },
  },
  // §1.5/§3.5: CleanupPrevious failing is generic (1), not 16.
  { name: 'cleanup failure', leftover: deadBackupRun, faults: fail(removeRootDb), scripts: backupUnlock(false), exit: 1, left: { 'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR] } } },
  // README: the first Ctrl-C still unlocks and removes (a cleanup only does that), and the run exits non-zero.
  {
    name: 'cancel during unlock',
    leftover: deadBackupRun,
    faults: cancelAt(script('db/0', 'database', 'post-backup-unlock')),
    scripts: backupUnlock(false),
    exit: 1,
  },
  // Abandoned: the removal was not attempted (generic for a cleanup command, §1.5) and jobs may be locked (8).
  {
    name: 'operator insists during unlock',
    leftover: deadBackupRun,
    faults: (c) => [[script('db/0', 'database', 'post-backup-unlock'), { abort: [c.run, c.force], hang: true }]],
    scripts: [backupUnlock(false)[0]!],
    exit: 1 | 8,
    left: untouchedBackupRun,
  },
];

const restoreCleanupRows: Row[] = [
  { name: 'succeeds', leftover: deadRestoreRun, scripts: restoreUnlock, exit: 0 },
  {
    name: 'unlock failure',
    leftover: deadRestoreRun,
    faults: fail(script('db/0', 'database', 'post-restore-unlock')),
    scripts: restoreUnlock,
    exit: 8,
    left: { 'db/0': { locked: ['database (restore)'] } },
  },
  { name: 'cleanup failure', leftover: deadRestoreRun, faults: fail(removeRootDb), scripts: restoreUnlock, exit: 1, left: { 'db/0': { artifactRootExists: true, artifactDirs: [DB_DIR] } } },
  {
    name: 'cancel during unlock',
    leftover: deadRestoreRun,
    faults: cancelAt(script('db/0', 'database', 'post-restore-unlock')),
    scripts: restoreUnlock,
    exit: 1,
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Running a row: connect and discover (openDeployment), then the workflow unless that failed, as the CLI's
// pipeline does; every connection is closed at the end.

interface Ran {
  fleet: MemoryFleet;
  outcome: RunOutcome;
  events: RunEvent[];
}

async function runRow(row: Row, workflow: (ctx: RunContext, deployment: OpenDeployment) => Promise<RunOutcome>): Promise<Ran> {
  const controllers: Controllers = { run: new AbortController(), force: new AbortController() };
  const fleet = new MemoryFleet(deploymentSpecs(row.leftover));
  for (const [at, action] of row.faults?.(controllers) ?? []) fleet.fault(at, action);
  fleet.labelSignals({ run: controllers.run.signal, force: controllers.force.signal });
  const events: RunEvent[] = [];
  const ctx: RunContext = {
    events: (event) => events.push(event),
    signal: controllers.run.signal,
    forceSignal: controllers.force.signal,
    parallelism: 10,
    scriptTimeoutMs: undefined,
    bbrTsVersion: '0.0.0-matrix',
  };
  const opened = await openDeployment(ctx, { targets: fleet.targets(), connect: fleet.connect, withReleases: true });
  try {
    const outcome = opened.failures.length > 0 ? { failures: opened.failures, exitCode: exitCodeOf(opened.failures) } : await workflow(ctx, opened.deployment);
    return { fleet, outcome, events };
  } finally {
    opened.deployment.close();
  }
}

/** The test's name; a row that disagrees with the contract says so in it. */
function titled<R extends Row>(row: R): R & { title: string } {
  const today = row.today ? ` [DISAGREES WITH CONTRACT: exits ${row.today.exit}, contract ${row.exit}: ${row.today.why}]` : '';
  return { ...row, title: `${row.name}${today}` };
}

/** `actual` cut into the sizes of `expected`'s groups, each sorted (order inside a group is free). */
function inGroups(actual: readonly string[], expected: Groups): string[][] {
  const groups: string[][] = [];
  let at = 0;
  for (const group of expected) {
    groups.push(actual.slice(at, at + group.length).sort());
    at += group.length;
  }
  if (at < actual.length) groups.push(actual.slice(at));
  return groups;
}

function expectCommon(ran: Ran, row: Row): void {
  const { fleet, outcome } = ran;
  const detail = outcome.failures.map((f) => `${f.name}: ${f.message}`).join('\n');
  expect(inGroups(fleet.scriptLines({ env: 'BBR_AFTER_BACKUP_SCRIPTS_SUCCESSFUL' }), row.scripts), detail).toEqual(row.scripts.map((g) => [...g].sort()));
  expect(outcome.exitCode, detail).toBe(row.today?.exit ?? row.exit);
  const expectedState = Object.fromEntries(['web/0', 'web/1', 'db/0'].map((name) => [name, { ...CLEAN, ...row.left?.[name] }]));
  expect(fleet.state()).toEqual(expectedState);
  // Unlocks and removals obey only the operator's insisting, never the first Ctrl-C.
  for (const call of fleet.calls) {
    const housekeeping = call.kind === 'removeArtifacts' || (call.kind === 'script' && (call.script === 'post-backup-unlock' || call.script === 'post-restore-unlock'));
    if (housekeeping) expect(call.signal, `${call.kind} ${call.script ?? ''} on ${call.instance}`).toBe('force');
  }
  // A restore script only ever sees its own instance's data, whole.
  for (const call of fleet.calls.filter((c) => c.kind === 'script' && c.script === 'restore')) {
    expect(call.sawArtifact, `restore of ${call.job} on ${call.instance}`).toBe(payloadOf(call.instance, call.job!).toString());
  }
}

const scratch = useScratchDir('bbr-ts-matrix-');

describe('failure matrix: backup', () => {
  it.each(backupRows.map(titled))('$title', async (row) => {
    const store = localStore(scratch());
    const ran = await runRow(row, (ctx, deployment) =>
      backup(ctx, deployment, {
        deploymentName: DEPLOYMENT,
        store,
        unsafeLockFree: false,
        withReleases: true,
        now: () => START,
      }),
    );
    expectCommon(ran, row);
    const entries = (await readdir(scratch())).filter((name) => !name.startsWith('.'));
    if (row.artifact.state === 'none') {
      expect(entries).toEqual([]);
      return;
    }
    const name = row.artifact.state === 'complete' ? ARTIFACT_NAME : `${ARTIFACT_NAME}.failed`;
    expect(entries).toEqual([name]);
    expect(ran.outcome.artifactComplete ?? false).toBe(row.artifact.state === 'complete');
    const metadata = parseBackupMetadata(await readFile(path.join(scratch(), name, 'metadata'), 'utf8'), 'metadata');
    const listed = metadata.instances.flatMap((i) => i.artifacts.map((a) => `${i.name}/${i.index} ${a.name}`));
    const drained = ran.fleet.calls.filter((c) => c.kind === 'drain' && c.outcome === 'ok').map((c) => `${c.instance} ${c.job}`);
    if (row.artifact.listed === 'drained') expect(listed.sort()).toEqual(drained.sort());
    else expect(listed).toHaveLength(row.artifact.listed);
    // What metadata lists was drained whole: its tar file holds the job's data.
    for (const line of listed) {
      const [instance, job] = line.split(' ') as [string, string];
      const file = `${instance.replace('/', '-')}-${job}.tar`;
      expect(await readFile(path.join(scratch(), name, file))).toEqual(payloadOf(instance, job));
    }
    expect(metadata.backupActivity.finishTime).toBeDefined();
  });
});

describe('failure matrix: restore', () => {
  const source = useScratchDir('bbr-ts-matrix-source-');

  it.each(restoreRows.map(titled))('$title', async (row) => {
    // A complete backup of the same deployment, taken by the memory fleet itself.
    const taken = await runRow(backupRows[0]!, (ctx, deployment) =>
      backup(ctx, deployment, { deploymentName: DEPLOYMENT, store: localStore(source()), unsafeLockFree: false, withReleases: true, now: () => START }),
    );
    expect(taken.outcome.exitCode).toBe(0);
    const backupDir = path.join(source(), ARTIFACT_NAME);
    const metadata: BackupMetadata = parseBackupMetadata(await readFile(path.join(backupDir, 'metadata'), 'utf8'), 'metadata');

    // After restore()'s offline verification: the memory fleet's artifacts are payloads, not tars.
    const ran = await runRow(row, (ctx, deployment) =>
      restoreVerified(ctx, deployment, {
        deploymentName: DEPLOYMENT,
        backup: localBackup(backupDir),
        metadata,
        withReleases: true,
      }),
    );
    expectCommon(ran, row);
  });
});

describe('failure matrix: backup-cleanup', () => {
  it.each(backupCleanupRows.map(titled))('$title', async (row) => {
    const ran = await runRow(row, (ctx, deployment) =>
      backupCleanup(ctx, deployment, { deploymentName: DEPLOYMENT, withReleases: true }),
    );
    expectCommon(ran, row);
  });
});

describe('failure matrix: restore-cleanup', () => {
  it.each(restoreCleanupRows.map(titled))('$title', async (row) => {
    const ran = await runRow(row, (ctx, deployment) =>
      restoreCleanup(ctx, deployment, { deploymentName: DEPLOYMENT, withReleases: true }),
    );
    expectCommon(ran, row);
  });
});
