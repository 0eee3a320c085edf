import { describe, expect, it } from 'vitest';
import { ScriptError, TopologyMismatchError, VerificationError } from '../errors.js';
import { runLocalCommand } from '../instance/local-command.js';
import type { RunEvent } from './events.js';
import type { RunContext } from './context.js';
import { concludeDrill, drill, type DrillOptions } from './drill.js';
import type { OpenDeployment } from './open-deployment.js';
import type { RunOutcome } from './recorder.js';
import type { Session } from './run-operation.js';

function context(events: RunEvent[]): RunContext {
  return {
    events: (e) => events.push(e),
    signal: new AbortController().signal,
    forceSignal: new AbortController().signal,
    parallelism: 1,
    scriptTimeoutMs: undefined,
    bbrTsVersion: '0.0.0-test',
  };
}

const deployment = {
  instances: [{ target: { name: 'db/0' }, handle: {}, jobs: [] }],
  jobs: [],
  close() {},
} as unknown as OpenDeployment;

function session(events: RunEvent[] = []): Session {
  return {
    ctx: context(events),
    scope: { name: 'films', targets: [{ group: 'db', index: 0, name: 'db/0', host: '127.0.0.1', port: 22, jobs: [] }], withReleases: true },
    open: async () => ({ deployment }),
  };
}

function options(overrides: Partial<DrillOptions>): DrillOptions {
  return {
    restore: {
      deploymentName: 'films',
      withReleases: true,
      openBackup: () => Promise.reject(new Error('this test restores nothing')),
    },
    artifactDir: '/backups/films_20260101T000000Z',
    verifyCommand: 'true',
    runLocally: runLocalCommand,
    ...overrides,
  };
}

const restored: RunOutcome = { failures: [], exitCode: 0 };

describe('drill', () => {
  it('passes when restore succeeds and the local verification exits 0, reporting both timings', async () => {
    const events: RunEvent[] = [];
    const outcome = await concludeDrill(session(events), restored, 5, options({}));
    expect(outcome.failures).toEqual([]);
    expect(events.find((e) => e.type === 'drill-finished')).toMatchObject({ passed: true, verifiedOn: 'this machine', verifyExitCode: 0 });
  });

  it('fails with the verification output when the check does not hold', async () => {
    const outcome = await concludeDrill(session(), restored, 5, options({ verifyCommand: 'echo no such film; exit 3' }));
    expect(outcome.exitCode).toBe(1);
    expect(outcome.failures[0]).toBeInstanceOf(VerificationError);
    expect(outcome.failures[0]!.message).toMatch(/exited with status 3 on this machine[\s\S]*no such film/);
  });

  it('refuses an unknown --verify-on instance before restoring', async () => {
    let opened = false;
    const outcome = await drill(session(), options({
      verifyOn: 'db/3',
      restore: { deploymentName: 'films', withReleases: true, openBackup: () => ((opened = true), Promise.reject(new Error('opened'))) },
    }));
    expect(opened).toBe(false);
    expect(outcome.failures[0]!.message).toMatch(/no instance db\/3/);
    expect(outcome.failures[0]!.hint).toMatch(/db\/0/);
  });

  it('says the artifact came from another deployment when restore finds structural differences', async () => {
    const mismatch = new TopologyMismatchError('films', 'the backup has instance orders/0, which the deployment does not have');
    const outcome = await concludeDrill(session(), { failures: [mismatch], exitCode: 1 }, 5, options({ artifactDir: '/backups/shop_20260101T000000Z' }));
    expect(outcome.failures[0]!.message).toMatch(/came from deployment 'shop', not from one shaped like 'films'/);
    expect(outcome.failures[1]).toBe(mismatch);
  });

  it('tells a topology mismatch by its class, not by words an instance can print', async () => {
    const script = new ScriptError({
      instance: 'db/0',
      job: 'db',
      script: 'restore',
      exitCode: 1,
      signal: null,
      timedOut: false,
      cancelled: false,
      stdoutTail: '',
      stderrTail: "deployment 'films' does not match the structure of the backup: oh no",
    });
    const outcome = await concludeDrill(session(), { failures: [script], exitCode: 1 }, 5, options({ artifactDir: '/backups/shop_20260101T000000Z' }));
    expect(outcome.failures).toEqual([script]);
  });
});
