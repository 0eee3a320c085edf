// The pipeline every command that works on a deployment runs, top-down:
//
//   1. resolve the instances             (instance source: a manifest, a BOSH director, the director VM itself)
//   2. take the deployment's run lock     (artifact store, backup only: a second run is refused before connecting)
//   3. run the workflow, which first makes its local checks (backup: the store is writable; restore: the backup
//      verifies offline) and only then opens the deployment through its session:
//        grant access (the director's temporary SSH users) → connect → discover jobs and metadata
//   4. close the connections, release access (whatever happened), release the run lock
//   5. hand back the failures; cli/ turns them into text and an exit status.
//
// Everything concrete comes in through ports (instance-source.ts, artifact-store.ts, instance.ts); nothing here
// formats output or knows SSH, files or flags.
import { randomUUID } from 'node:crypto';
import { exitCodeOf, type BbrError } from '../errors.js';
import type { RunLock } from './artifact-store.js';
import type { RunContext } from './context.js';
import type { Operation } from './events.js';
import type { GrantedAccess, InstanceSource, ResolvedDeployment } from './instance-source.js';
import type { ConnectInstance } from './instance.js';
import type { InstanceTarget } from '../manifest/index.js';
import { asBbrError, openDeployment, type OpenDeployment } from './open-deployment.js';
import type { RunOutcome } from './recorder.js';

/** What a workflow is handed: the run's context, what it works on, and the way to open the deployment. */
export interface Session {
  readonly ctx: RunContext;
  readonly scope: ResolvedDeployment;
  /**
   * Grants access, connects to every instance and discovers its jobs, once, after the workflow's local checks;
   * a later call gives the same answer. No `deployment` means the run cannot go on: the failures (already
   * reported as events) say why, and none at all means there is nothing to do (a caller chose to skip this
   * deployment). The driver closes the connections and releases access once the workflow returns.
   */
  open(): Promise<Opened>;
}

export type Opened = { deployment: OpenDeployment } | { deployment?: undefined; failures: BbrError[] };

export interface Workflow {
  /** A dry run connects and plans but runs no lock, backup, restore or unlock script. */
  dryRun?: boolean;
  /** Takes the deployment's run lock in the artifact store, held from before connecting to the run's end (backup). */
  acquireRunLock?: (deployment: string, report: (line: string) => void) => Promise<RunLock | undefined>;
  run(session: Session): Promise<RunOutcome>;
}

export interface OperationPorts {
  /** Where the deployment's instances come from. */
  source: InstanceSource;
  /** How to reach the given targets (reads credentials once, when some target needs them). */
  connector(targets: readonly InstanceTarget[]): Promise<ConnectInstance>;
  /** A line for the operator before the run starts (a stale run lock taken over). */
  warn(line: string): void;
}

export interface OperationResult {
  /** Every failure, as raised: an error that is not a BbrError is a bug, and the renderer says so. */
  failures: readonly unknown[];
  exitCode: number;
  /** Some instance was connected: from then on something can be locked or left behind (cleanup advice). */
  connected: boolean;
}

/** A workflow body that needs the open deployment, run once it is open (the common case). */
export async function whenOpen(session: Session, body: (deployment: OpenDeployment) => Promise<RunOutcome>): Promise<RunOutcome> {
  const opened = await session.open();
  if (!opened.deployment) return { failures: opened.failures, exitCode: exitCodeOf(opened.failures) };
  return body(opened.deployment);
}

export async function runOperation(ctx: RunContext, operation: Operation, ports: OperationPorts, workflow: Workflow): Promise<OperationResult> {
  const started = Date.now();
  const dryRun = workflow.dryRun ? true : undefined;
  let connected = false;
  try {
    const scope = await ports.source.resolve(ctx.signal);
    // Before any connection: a second run of the deployment is refused here, naming the one that runs.
    const runLock = await workflow.acquireRunLock?.(scope.name, ports.warn);
    try {
      ctx.events({
        type: 'run-started',
        operation,
        deployment: scope.name,
        instances: scope.targets.length,
        runId: randomUUID(),
        instanceNames: scope.targets.map((t) => t.name),
        dryRun,
      });
      const session = openSession(ctx, scope, ports, () => {
        connected = true;
      });
      let outcome: RunOutcome;
      try {
        outcome = await workflow.run(session);
      } catch (error) {
        // Without granted access there is nothing to undo: reported below as a run that could not go on.
        if (!session.granted()) {
          await session.close();
          throw error;
        }
        const failure = asBbrError(error);
        ctx.events({ type: 'failure', error: failure });
        outcome = { failures: [failure], exitCode: exitCodeOf([failure]) };
      }
      // Access is released whatever happened; what could not be undone adds to the failures.
      const released = await session.close();
      const failures = [...outcome.failures, ...released];
      const exitCode = exitCodeOf(failures);
      ctx.events({ type: 'run-finished', operation, exitCode, durationMs: Date.now() - started, artifactPath: outcome.artifactPath, artifactComplete: outcome.artifactComplete, dryRun });
      return { failures, exitCode, connected };
    } finally {
      await runLock?.release();
    }
  } catch (error) {
    // Failures before the run could start (manifest, credentials) still reach logs and --summary-json.
    ctx.events({ type: 'failure', error: asBbrError(error) });
    const exitCode = exitCodeOf([error]);
    ctx.events({ type: 'run-finished', operation, exitCode, durationMs: Date.now() - started, dryRun });
    return { failures: [error], exitCode, connected };
  }
}

/** The deployment behind a session: opened on demand, closed and its access released by the driver. */
function openSession(
  ctx: RunContext,
  scope: ResolvedDeployment,
  ports: OperationPorts,
  onConnected: () => void,
): Session & { granted(): boolean; close(): Promise<BbrError[]> } {
  let granted: GrantedAccess | undefined;
  let deployment: OpenDeployment | undefined;
  let opening: Promise<Opened> | undefined;
  const open = async (): Promise<Opened> => {
    let targets = scope.targets;
    if (scope.grantAccess) {
      const access = await scope.grantAccess(ctx.signal, ctx.forceSignal);
      if ('failures' in access) {
        for (const failure of access.failures) ctx.events({ type: 'failure', error: failure });
        return { failures: access.failures };
      }
      granted = access;
      targets = access.targets;
    }
    const connect = await ports.connector(targets);
    const opened = await openDeployment(ctx, { targets, connect, withReleases: scope.withReleases });
    deployment = opened.deployment;
    if (opened.deployment.instances.length > 0) onConnected();
    return opened.failures.length > 0 ? { failures: opened.failures } : { deployment: opened.deployment };
  };
  return {
    ctx,
    scope,
    open: () => (opening ??= open()),
    granted: () => granted !== undefined,
    async close() {
      deployment?.close();
      if (!granted) return [];
      // Under the force signal: a Ctrl-C'd run still removes its SSH user (a second Ctrl-C abandons that too).
      const released = await granted.release(ctx.forceSignal);
      for (const failure of released) ctx.events({ type: 'failure', error: failure });
      return released;
    },
  };
}
