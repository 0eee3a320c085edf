// The pipeline driver (orchestrate/run-operation.ts) over a memory fleet: what runs in which order, what is
// released whatever happens, and when the operator is told to clean up (`connected`).
import { describe, expect, it } from 'vitest';
import { ConnectionError, PreconditionError, SshUserCleanupError } from '../../src/errors.js';
import type { RunContext } from '../../src/orchestrate/context.js';
import type { RunEvent } from '../../src/orchestrate/events.js';
import type { ResolvedDeployment } from '../../src/orchestrate/instance-source.js';
import { runOperation, whenOpen, type OperationPorts, type Workflow } from '../../src/orchestrate/run-operation.js';
import { MemoryFleet } from '../support/memory-instance.js';

function setUp(options: { grant?: boolean; releaseFails?: boolean } = {}) {
  const fleet = new MemoryFleet([{ group: 'db', index: 0, jobs: [{ name: 'database', scripts: ['backup'] }] }]);
  const steps: string[] = [];
  const events: RunEvent[] = [];
  const ctx: RunContext = {
    events: (event) => {
      events.push(event);
      if (event.type === 'run-started' || event.type === 'run-finished') steps.push(event.type);
    },
    signal: new AbortController().signal,
    forceSignal: new AbortController().signal,
    parallelism: 4,
    scriptTimeoutMs: undefined,
    bbrTsVersion: '0.0.0-test',
  };
  const scope: ResolvedDeployment = {
    name: 'films',
    targets: fleet.targets(),
    withReleases: true,
    ...(options.grant
      ? {
          grantAccess: async () => {
            steps.push('grant');
            return {
              targets: fleet.targets(),
              release: async () => {
                steps.push('release access');
                return options.releaseFails ? [new SshUserCleanupError('the SSH user stayed')] : [];
              },
            };
          },
        }
      : {}),
  };
  const ports: OperationPorts = {
    source: {
      resolve: async () => {
        steps.push('resolve');
        return scope;
      },
    },
    connector: async () => {
      steps.push('connector');
      return fleet.connect;
    },
    warn: (line) => steps.push(`warn ${line}`),
  };
  const locking: Pick<Workflow, 'acquireRunLock'> = {
    acquireRunLock: async (deployment) => {
      steps.push(`lock ${deployment}`);
      return { location: '/locks/films', release: async () => void steps.push('unlock run') };
    },
  };
  return { fleet, steps, events, ctx, ports, locking };
}

describe('runOperation', () => {
  it('resolves, locks the run, checks locally, grants access, connects, runs, then releases in reverse', async () => {
    const { steps, ctx, ports, locking, fleet } = setUp({ grant: true });
    const result = await runOperation(ctx, 'backup', ports, {
      ...locking,
      run: async (session) => {
        steps.push('local checks');
        return whenOpen(session, async (deployment) => {
          steps.push(`workflow on ${deployment.jobs.map((j) => j.name).join(',')}`);
          return { failures: [], exitCode: 0 };
        });
      },
    });
    expect(result).toEqual({ failures: [], exitCode: 0, connected: true });
    expect(steps).toEqual(['resolve', 'lock films', 'run-started', 'local checks', 'grant', 'connector', 'workflow on database', 'release access', 'run-finished', 'unlock run']);
    expect(fleet.calls.filter((c) => c.kind === 'close')).toHaveLength(1);
  });

  it('opens nothing when the local checks refuse the run: no access, no connection, no cleanup advice', async () => {
    const { steps, ctx, ports } = setUp({ grant: true });
    const refused = new PreconditionError('the store is not writable');
    const result = await runOperation(ctx, 'backup', ports, { run: async () => ({ failures: [refused], exitCode: 1 }) });
    expect(result).toEqual({ failures: [refused], exitCode: 1, connected: false });
    expect(steps).toEqual(['resolve', 'run-started', 'run-finished']);
  });

  it('releases access and reports it when the workflow throws, adding what could not be released', async () => {
    const { steps, events, ctx, ports } = setUp({ grant: true, releaseFails: true });
    const result = await runOperation(ctx, 'restore', ports, {
      run: async (session) => {
        await session.open();
        throw new ConnectionError('the connection dropped');
      },
    });
    expect(result.failures.map((f) => (f as Error).message)).toEqual(['the connection dropped', 'the SSH user stayed']);
    expect(result.exitCode).toBe(1 | 16);
    expect(result.connected).toBe(true);
    expect(steps.slice(-2)).toEqual(['release access', 'run-finished']);
    expect(events.filter((e) => e.type === 'failure')).toHaveLength(2);
  });

  it('gives the same deployment to every open() of a session', async () => {
    const { ctx, ports, fleet } = setUp();
    await runOperation(ctx, 'drill', ports, {
      run: async (session) => {
        const [first, second] = await Promise.all([session.open(), session.open()]);
        expect(second).toBe(first);
        return { failures: [], exitCode: 0 };
      },
    });
    expect(fleet.calls.filter((c) => c.kind === 'connect')).toHaveLength(1);
  });

  it('reports a source that fails as a run that never started, and still releases nothing it did not take', async () => {
    const { steps, events, ctx, ports } = setUp();
    const broken: OperationPorts = { ...ports, source: { resolve: () => Promise.reject(new Error('no manifest')) } };
    const result = await runOperation(ctx, 'backup', broken, { run: async () => ({ failures: [], exitCode: 0 }) });
    expect(result).toMatchObject({ exitCode: 1, connected: false });
    expect(steps).toEqual(['run-finished']);
    expect(events.map((e) => e.type)).toEqual(['failure', 'run-finished']);
  });
});
