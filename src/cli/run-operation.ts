// The composition both modes share: the concrete ports of a run (its instance source, SSH connections, the
// operator's context with the interrupt deadline), the pipeline itself (orchestrate/run-operation.ts), then the
// failures rendered for the operator. `deployment` mode gets its instances from a manifest or a director,
// `director` mode from --host.
import { CredentialsError, type Remedy } from '../errors.js';
import type { InstanceTarget } from '../manifest/index.js';
import type { RunContext } from '../orchestrate/context.js';
import type { Operation } from '../orchestrate/events.js';
import type { InstanceSource } from '../orchestrate/instance-source.js';
import { runOperation as runPipeline, type Workflow } from '../orchestrate/run-operation.js';
import { connect, loadCredentials, pinnedCredentials, type Gateway, type SshCredentials } from '../ssh/index.js';
import { sshInstance } from '../instance/ssh-instance.js';
import type { ConnectInstance } from '../orchestrate/instance.js';
import { escapeLine } from '../report/escape.js';
import { reportFailures } from './exit.js';
import { forceSignalWithDeadline } from './interrupt-deadline.js';
import type { ConnectionFlags, Runtime } from './runtime.js';

export type { Workflow };

/** Where a run's instances come from, and how the operator reaches them again to clean up. */
export interface OperationTarget {
  source: InstanceSource;
  /** The exact command that carries out a remedy for this deployment, for the operator to paste. */
  cleanupCommand: (remedy: Remedy) => string;
}

export async function runOperation(
  runtime: Runtime,
  flags: ConnectionFlags & { gateway?: Gateway },
  operation: Operation,
  target: OperationTarget,
  workflow: Workflow,
): Promise<number> {
  const result = await runPipeline(
    createContext(runtime, flags),
    operation,
    {
      source: target.source,
      connector: (targets) => connector(flags, targets),
      warn: (line) => runtime.stderr.write(`warning: ${escapeLine(line)}\n`),
    },
    workflow,
  );
  // Until an instance is connected nothing can be locked or left on one: a failure or an interrupt before that
  // (manifest, restore's offline verification, connecting) gets no advice to unlock or clean up. Unlike BBR,
  // restore also gets the cleanup footer after unlock or cleanup failures (restore-cleanup).
  const report = reportFailures(result.failures, {
    commandFor: target.cleanupCommand,
    cleanupAfterFailure: result.connected ? cleanupVerbFor(operation) : undefined,
  });
  runtime.stderr.write(report.text);
  return report.exitCode;
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
