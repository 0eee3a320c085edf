// Line-per-event output for logs, pipes and CI: stable, greppable, one event per line, prefixed with the
// UTC time and the instance and job it concerns.
import { escapeLine } from './escape.js';
import type { RunEvent } from '../orchestrate/events.js';
import { formatPlan } from './plan-text.js';

export function formatPlainLine(event: RunEvent, now: Date = new Date()): string | undefined {
  const at = `[${now.toISOString().slice(11, 19)}]`;
  // The plan is a block the operator reads as a whole, not an event to grep.
  if (event.type === 'plan-ready') return formatPlan(event.plan);
  const text = describe(event);
  // One event, one line: names and messages come from instances, so control characters and newlines are escaped.
  return text === undefined ? undefined : `${at} ${escapeLine(text)}`;
}

function describe(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run-started':
      return `${event.operation}${event.dryRun ? ' (dry run)' : ''} of deployment '${event.deployment}' started (${event.instances} instance(s), run ${event.runId})`;
    case 'phase-started':
      // connect and cleanup work per instance; the other phases per job.
      return `${event.phase}: started${event.jobs === undefined ? '' : ` (${event.jobs} ${event.phase === 'connect' || event.phase === 'cleanup' ? 'instance(s)' : 'job(s)'})`}`;
    case 'phase-finished':
      return `${event.phase}: finished in ${seconds(event.durationMs)}${event.failures ? `, ${event.failures} failure(s)` : ''}`;
    case 'instance-connected':
      return `${event.instance}: connected to ${event.address} in ${seconds(event.durationMs)}`;
    case 'instance-discovered':
      return `${event.instance}: jobs with bbr scripts: ${event.jobs.length ? event.jobs.join(', ') : '(none)'}`;
    case 'script-started':
      return `${event.instance} ${event.job}: ${event.script} started`;
    case 'script-finished':
      return `${event.instance} ${event.job}: ${event.script} ${event.error ? 'FAILED' : 'done'} in ${seconds(event.durationMs)}`;
    case 'transfer-started':
      return `${event.instance} ${event.job}: transfer of ${event.file} started${event.totalBytes === undefined ? '' : ` (${formatBytes(event.totalBytes)})`}`;
    case 'transfer-progress':
      return undefined;
    case 'transfer-finished':
      return `${event.instance} ${event.job}: ${event.file} transferred, ${formatBytes(event.bytes)} in ${event.files} file(s), ${seconds(event.durationMs)}`;
    case 'lock-window':
      return `${event.instance} ${event.job}: was locked for ${seconds(event.durationMs)}`;
    case 'artifact-skipped':
      return `SKIPPED ${event.file}: ${event.reason}`;
    case 'warning':
      return `WARNING ${[event.instance, event.job].filter(Boolean).join(' ')}${event.instance || event.job ? ': ' : ''}${event.message}`;
    case 'failure':
      return `ERROR ${event.error.message.split('\n')[0]}`;
    case 'drill-finished':
      return `drill ${event.passed ? 'PASSED' : 'FAILED'}: restore took ${seconds(event.restoreMs)}${
        event.verifyMs === undefined ? ', verification not run' : `, verification on ${event.verifiedOn} took ${seconds(event.verifyMs)} (exit status ${event.verifyExitCode ?? 'none'})`
      }`;
    case 'plan-ready':
      return undefined;
    case 'run-finished':
      return `${event.operation}${event.dryRun ? ' (dry run)' : ''} ${event.exitCode === 0 ? 'succeeded' : `FAILED (exit code ${event.exitCode})`} in ${seconds(event.durationMs)}${event.artifactPath ? `; artifact: ${event.artifactPath}` : ''}`;
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
