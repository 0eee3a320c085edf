// The composition both modes share: resolve the instances to work on, run local preflight checks, connect,
// run a workflow, report. `deployment` mode gets its instances from a manifest, `director` mode from --host.
import { randomUUID } from 'node:crypto';
import { CredentialsError, type BbrError, type Remedy } from '../errors.js';
import type { InstanceTarget } from '../manifest/index.js';
import type { RunContext } from '../orchestrate/context.js';
import type { GrantedAccess, ResolvedDeployment } from '../orchestrate/instance-source.js';
import { asBbrError, openDeployment, type OpenDeployment } from '../orchestrate/open-deployment.js';
import type { RunOutcome } from '../orchestrate/recorder.js';
import type { RunLock } from '../orchestrate/artifact-store.js';
import type { Operation } from '../orchestrate/events.js';
import { connect, loadCredentials, pinnedCredentials, type Gateway, type SshCredentials } from '../ssh/index.js';
import { sshInstance } from '../instance/ssh-instance.js';
import type { ConnectInstance } from '../orchestrate/instance.js';
import { escapeLine } from '../report/escape.js';
import { reportFailures } from './exit.js';
import { forceSignalWithDeadline } from './interrupt-deadline.js';
import type { ConnectionFlags, Runtime } from './runtime.js';

/** What one run works on, however it was described on the command line (an instance source's answer). */
export interface OperationScope extends ResolvedDeployment {
  /** The exact command that carries out a remedy for this scope, for the operator to paste. */
  cleanupCommand: (remedy: Remedy) => string;
}

export interface Workflow {
  /** A dry run connects and plans but runs no lock, backup, restore or unlock script. */
  dryRun?: boolean;
  /** Local checks that must pass before any connection is opened (restore verifies its artifact here). */
  preflight?: (ctx: RunContext, scope: OperationScope) => Promise<BbrError[]>;
  run: (ctx: RunContext, deployment: OpenDeployment, scope: OperationScope) => Promise<RunOutcome>;
  /** Takes the deployment's run lock in the artifact store, held from before connecting to the run's end (backup). */
  acquireRunLock?: (deployment: string, report: (line: string) => void) => Promise<RunLock | undefined>;
}

export async function runOperation(
  runtime: Runtime,
  flags: ConnectionFlags & { gateway?: Gateway },
  operation: Operation,
  resolveScope: () => Promise<OperationScope>,
  workflow: Workflow,
): Promise<number> {
  const started = Date.now();
  const dryRun = workflow.dryRun ? true : undefined;
  let commandFor: ((remedy: Remedy) => string) | undefined;
  // Until an instance is connected nothing can be locked or left on one: a failure or an interrupt before that
  // (manifest, restore's offline verification, connecting) gets no advice to unlock or clean up.
  let connected = false;
  const footer = () => ({ commandFor, cleanupAfterFailure: connected ? cleanupVerbFor(operation) : undefined });
  // Everything after the scope is known and the run lock (if any) is held.
  const lockedRun = async (scope: OperationScope): Promise<number> => {
    const ctx = createContext(runtime, flags);
    ctx.events({
      type: 'run-started',
      operation,
      deployment: scope.name,
      instances: scope.targets.length,
      runId: randomUUID(),
      instanceNames: scope.targets.map((t) => t.name),
      dryRun,
    });
    let outcome: RunOutcome;
    const refused = workflow.preflight ? await workflow.preflight(ctx, scope) : [];
    if (refused.length > 0) {
      outcome = { failures: refused, exitCode: 1 };
    } else {
      outcome = await grantedRun(ctx, runtime, flags, scope, workflow, () => {
        connected = true;
      });
    }
    // Unlike BBR, restore also gets the cleanup footer after unlock or cleanup failures (restore-cleanup).
    const report = reportFailures(outcome.failures, footer());
    ctx.events({ type: 'run-finished', operation, exitCode: report.exitCode, durationMs: Date.now() - started, artifactPath: outcome.artifactPath, artifactComplete: outcome.artifactComplete, dryRun });
    runtime.stderr.write(report.text);
    return report.exitCode;
  };
  try {
    const scope = await resolveScope();
    commandFor = scope.cleanupCommand;
    // Before any connection: a second run of the deployment is refused here, naming the one that runs.
    const runLock = await workflow.acquireRunLock?.(scope.name, (line) => runtime.stderr.write(`warning: ${escapeLine(line)}\n`));
    try {
      return await lockedRun(scope);
    } finally {
      await runLock?.release();
    }
  } catch (error) {
    const report = reportFailures([error], footer());
    // Failures before the run could start (manifest, credentials) still reach logs and --summary-json.
    runtime.events({ type: 'failure', error: asBbrError(error) });
    runtime.events({ type: 'run-finished', operation, exitCode: report.exitCode || 1, durationMs: Date.now() - started, dryRun });
    runtime.stderr.write(report.text);
    return report.exitCode || 1;
  }
}

/** Access (the director's temporary SSH user), connections, the workflow; access is released whatever happens. */
async function grantedRun(
  ctx: RunContext,
  runtime: Runtime,
  flags: ConnectionFlags & { gateway?: Gateway },
  scope: OperationScope,
  workflow: Workflow,
  onConnected: () => void,
): Promise<RunOutcome> {
  let targets = scope.targets;
  let granted: GrantedAccess | undefined;
  if (scope.grantAccess) {
    const outcome = await scope.grantAccess(runtime.signal, ctx.forceSignal);
    if ('failures' in outcome) {
      for (const failure of outcome.failures) ctx.events({ type: 'failure', error: failure });
      return { failures: outcome.failures, exitCode: 1 };
    }
    granted = outcome;
    targets = outcome.targets;
  }
  let outcome: RunOutcome;
  try {
    const connectInstance = await connector(flags, targets);
    const opened = await openDeployment(ctx, { targets, connect: connectInstance, withReleases: scope.withReleases });
    if (opened.deployment.instances.length > 0) onConnected();
    try {
      outcome = opened.failures.length > 0 ? { failures: opened.failures, exitCode: 1 } : await workflow.run(ctx, opened.deployment, scope);
    } finally {
      opened.deployment.close();
    }
  } catch (error) {
    if (!granted) throw error;
    const failure = asBbrError(error);
    ctx.events({ type: 'failure', error: failure });
    outcome = { failures: [failure], exitCode: 1 };
  }
  if (granted) {
    // Under the force signal: a Ctrl-C'd run still removes its SSH user (a second Ctrl-C abandons that too).
    const released = await granted.release(ctx.forceSignal);
    for (const failure of released) ctx.events({ type: 'failure', error: failure });
    if (released.length > 0) outcome = { ...outcome, failures: [...outcome.failures, ...released] };
  }
  return outcome;
}

export function cleanupVerbFor(operation: Operation): Remedy {
  return operation === 'restore' || operation === 'restore-cleanup' || operation === 'drill' ? 'restore-cleanup' : 'backup-cleanup';
}

export function createContext(runtime: Runtime, flags: ConnectionFlags): RunContext {
  return {
    events: runtime.events,
    signal: runtime.signal,
    forceSignal: forceSignalWithDeadline({
      signal: runtime.signal,
      forceSignal: runtime.forceSignal,
      interruptTimeoutMs: flags.interruptTimeoutSeconds * 1000,
      stderr: runtime.stderr,
    }),
    parallelism: flags.parallelism,
    scriptTimeoutMs: flags.scriptTimeoutSeconds === undefined ? undefined : flags.scriptTimeoutSeconds * 1000,
    bbrTsVersion: runtime.version,
  };
}

/**
 * How to reach each target: its own `access` (a director-issued user, key and pinned host key) when it has one,
 * else the operator's key and known_hosts, read once and only when some target needs them.
 */
export async function connector(
  flags: ConnectionFlags & { gateway?: Gateway },
  targets: readonly InstanceTarget[],
): Promise<ConnectInstance> {
  let operator: SshCredentials | undefined;
  if (targets.some((t) => t.access === undefined)) {
    if (!flags.privateKeyPath) throw new CredentialsError('no --private-key-path given', { hint: 'pass the SSH private key for the instances with --private-key-path' });
    operator = await loadCredentials({
      username: flags.username,
      privateKeyPath: flags.privateKeyPath,
      knownHostsPath: flags.dangerouslySkipHostKeyCheck ? null : flags.knownHosts,
    });
  }
  return (target, signal) =>
    connect({
      instance: target.name,
      host: target.host,
      port: target.port,
      credentials: target.access ? pinnedCredentials(target.access) : operator!,
      connectTimeoutMs: flags.connectTimeoutSeconds * 1000,
      limits: { commandTimeoutMs: flags.commandTimeoutSeconds * 1000, transferStallTimeoutMs: flags.transferStallTimeoutSeconds * 1000 },
      gateway: flags.gateway,
      signal,
    }).then(sshInstance);
}
