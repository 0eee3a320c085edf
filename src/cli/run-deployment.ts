// Composition root for `bbr-ts deployment ...`: manifest → credentials → connections → workflow → report.
// Only this layer knows the concrete pieces (ssh2 connections, the manifest file, the terminal).
import { randomUUID } from 'node:crypto';
import { loadManifest, type InstanceTarget } from '../manifest/index.js';
import { backup } from '../orchestrate/backup.js';
import { backupCleanup, restoreCleanup } from '../orchestrate/cleanup.js';
import type { RunContext } from '../orchestrate/context.js';
import { openDeployment, type OpenDeployment } from '../orchestrate/open-deployment.js';
import { preBackupCheck } from '../orchestrate/pre-backup-check.js';
import type { RunOutcome } from '../orchestrate/recorder.js';
import type { EventSink, Operation } from '../report/events.js';
import { connect, loadCredentials, shellCommand } from '../ssh/index.js';
import { reportFailures } from './exit.js';
import { DEFAULT_KNOWN_HOSTS } from './options.js';
import type { ConnectionFlags, Runtime } from './runtime.js';

export interface DeploymentFlags extends ConnectionFlags {
  manifest: string;
  deployment?: string;
  sshPort: number;
}

export interface BackupFlags {
  artifactPath: string;
  withManifest: boolean;
  unsafeLockFree: boolean;
}

type Workflow = (ctx: RunContext, deployment: OpenDeployment, name: string, manifestText: string) => Promise<RunOutcome>;

export async function runDeploymentOperation(
  runtime: Runtime,
  flags: DeploymentFlags,
  operation: Operation,
  workflow: Workflow,
): Promise<number> {
  const started = Date.now();
  const cleanupCommand = cleanupCommandFor(flags, operation);
  try {
    const manifest = await loadManifest(flags.manifest, { sshPort: flags.sshPort });
    const name = flags.deployment ?? manifest.name;
    const ctx = createContext(runtime, flags);
    ctx.events({ type: 'run-started', operation, deployment: name, instances: manifest.instances.length, runId: randomUUID() });
    const connectInstance = await connector(flags);
    const opened = await openDeployment(ctx, { targets: manifest.instances, connect: connectInstance, withReleases: true });
    let outcome: RunOutcome;
    try {
      outcome = opened.failures.length > 0
        ? { failures: opened.failures, exitCode: 1 }
        : await workflow(ctx, opened.deployment, name, manifest.text);
    } finally {
      opened.deployment.close();
    }
    const report = reportFailures(outcome.failures, { cleanupCommand });
    ctx.events({ type: 'run-finished', operation, exitCode: report.exitCode, durationMs: Date.now() - started, artifactPath: outcome.artifactPath });
    runtime.stderr.write(report.text);
    return report.exitCode;
  } catch (error) {
    const report = reportFailures([error], { cleanupCommand });
    runtime.stderr.write(report.text);
    return report.exitCode || 1;
  }
}

export function backupWorkflow(flags: DeploymentFlags & BackupFlags): Workflow {
  return (ctx, deployment, name, manifestText) =>
    backup(ctx, deployment, {
      deploymentName: name,
      artifactPath: flags.artifactPath,
      manifestText: flags.withManifest ? manifestText : undefined,
      unsafeLockFree: flags.unsafeLockFree,
      withReleases: true,
      cleanupCommand: cleanupCommandFor(flags, 'backup'),
    });
}

export function preBackupCheckWorkflow(flags: DeploymentFlags): Workflow {
  return (ctx, deployment, name) =>
    preBackupCheck(ctx, deployment, { deploymentName: name, withReleases: true, cleanupCommand: cleanupCommandFor(flags, 'backup') });
}

export function cleanupWorkflow(flags: DeploymentFlags, operation: 'backup-cleanup' | 'restore-cleanup'): Workflow {
  const clean = operation === 'backup-cleanup' ? backupCleanup : restoreCleanup;
  return (ctx, deployment, name) =>
    clean(ctx, deployment, { deploymentName: name, withReleases: true, cleanupCommand: cleanupCommandFor(flags, operation) });
}

export function createContext(runtime: Runtime, flags: ConnectionFlags): RunContext {
  return {
    events: runtime.events,
    signal: runtime.signal,
    forceSignal: runtime.forceSignal,
    parallelism: flags.parallelism,
    scriptTimeoutMs: flags.scriptTimeout === undefined ? undefined : flags.scriptTimeout * 1000,
    bbrVersion: runtime.version,
  };
}

export async function connector(flags: ConnectionFlags): Promise<(target: InstanceTarget, signal: AbortSignal) => ReturnType<typeof connect>> {
  const credentials = await loadCredentials({
    username: flags.username,
    privateKeyPath: flags.privateKeyPath,
    knownHostsPath: flags.dangerouslySkipHostKeyCheck ? null : flags.knownHosts,
  });
  return (target, signal) =>
    connect({
      instance: target.name,
      host: target.host,
      port: target.port,
      credentials,
      connectTimeoutMs: flags.connectTimeout * 1000,
      signal,
    });
}

/** The cleanup command for this run, with every flag that changes how instances are reached, ready to paste. */
export function cleanupCommandFor(flags: DeploymentFlags, operation: Operation): string {
  const verb = operation === 'restore' || operation === 'restore-cleanup' ? 'restore-cleanup' : 'backup-cleanup';
  const hostKeys = flags.dangerouslySkipHostKeyCheck
    ? ['--dangerously-skip-host-key-check']
    : flags.knownHosts === DEFAULT_KNOWN_HOSTS
      ? []
      : ['--known-hosts', flags.knownHosts];
  return shellCommand([
    'bbr-ts',
    'deployment',
    '--manifest',
    flags.manifest,
    '--username',
    flags.username,
    '--private-key-path',
    flags.privateKeyPath,
    ...hostKeys,
    ...(flags.sshPort === 22 ? [] : ['--ssh-port', String(flags.sshPort)]),
    verb,
  ]);
}

export type { EventSink };
