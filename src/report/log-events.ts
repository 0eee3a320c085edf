// Run events as structured log lines: a short constant message plus fields (run id, instance, job, step,
// duration, bytes, error), one child logger per instance and job. Progress is logged at debug, throttled.
import type { Logger } from '../log.js';
import type { EventSink, RunEvent } from '../orchestrate/events.js';

const PROGRESS_EVERY_MS = 1000;

export function logEvents(root: Logger, now: () => number = Date.now): EventSink {
  let run = root;
  const children = new Map<string, Logger>();
  const lastProgress = new Map<string, number>();
  const forJob = (instance?: string, job?: string): Logger => {
    if (instance === undefined && job === undefined) return run;
    const key = `${instance ?? ''}/${job ?? ''}`;
    let child = children.get(key);
    if (!child) {
      child = run.child({ ...(instance === undefined ? {} : { instance }), ...(job === undefined ? {} : { job }) });
      children.set(key, child);
    }
    return child;
  };

  return (event: RunEvent) => {
    switch (event.type) {
      case 'run-started':
        run = root.child({ runId: event.runId, deployment: event.deployment, operation: event.operation });
        children.clear();
        run.info({ instances: event.instances, dryRun: event.dryRun ?? false }, 'run started');
        return;
      case 'plan-ready':
        run.info({ plan: event.plan }, 'plan ready');
        return;
      case 'phase-started':
        run.info({ step: event.phase, jobs: event.jobs }, 'step started');
        return;
      case 'phase-finished':
        (event.failures ? run.warn.bind(run) : run.info.bind(run))({ step: event.phase, durationMs: event.durationMs, failures: event.failures }, 'step finished');
        return;
      case 'instance-connected':
        forJob(event.instance).info({ step: 'connect', address: event.address, durationMs: event.durationMs }, 'instance connected');
        return;
      case 'instance-discovered':
        forJob(event.instance).info({ step: 'metadata', jobs: event.jobs, durationMs: event.durationMs }, 'instance discovered');
        return;
      case 'script-started':
        forJob(event.instance, event.job).debug({ step: event.script }, 'script started');
        return;
      case 'script-finished':
        if (event.error) {
          forJob(event.instance, event.job).error({ step: event.script, durationMs: event.durationMs, error: errorFields(event.error) }, 'script failed');
        } else {
          forJob(event.instance, event.job).info({ step: event.script, durationMs: event.durationMs }, 'script finished');
        }
        return;
      case 'transfer-started':
        forJob(event.instance, event.job).info({ step: event.direction, file: event.file, totalBytes: event.totalBytes }, 'transfer started');
        return;
      case 'transfer-progress': {
        const key = `${event.instance}/${event.job}`;
        const at = now();
        if (at - (lastProgress.get(key) ?? 0) < PROGRESS_EVERY_MS) return;
        lastProgress.set(key, at);
        forJob(event.instance, event.job).debug({ step: event.direction, bytes: event.bytes, totalBytes: event.totalBytes }, 'transfer progress');
        return;
      }
      case 'transfer-finished':
        forJob(event.instance, event.job).info(
          { step: event.direction, file: event.file, bytes: event.bytes, files: event.files, durationMs: event.durationMs },
          'transfer finished',
        );
        return;
      case 'lock-window':
        forJob(event.instance, event.job).info({ step: 'unlock', lockedMs: event.durationMs, durationMs: event.durationMs }, 'lock window');
        return;
      case 'warning':
        forJob(event.instance, event.job).warn({ detail: event.message }, 'warning');
        return;
      case 'artifact-skipped':
        forJob(event.instance, event.job).warn({ step: 'upload', file: event.file, detail: event.reason }, 'artifact skipped');
        return;
      case 'failure':
        run.error({ error: errorFields(event.error) }, 'failure');
        return;
      case 'run-finished':
        (event.exitCode === 0 ? run.info.bind(run) : run.error.bind(run))(
          { exitCode: event.exitCode, durationMs: event.durationMs, artifactPath: event.artifactPath },
          'run finished',
        );
        return;
    }
  };
}

function errorFields(error: { code: string; message: string; hint?: string; exitBit: number }) {
  return { code: error.code, message: error.message, hint: error.hint, exitBit: error.exitBit };
}
