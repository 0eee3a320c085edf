// What the live view shows, folded from events: per instance its current step, per job its drain progress.
// Pure, so the frame can be tested without a terminal.
import { stepOfScript } from '../contract/paths.js';
import type { RunEvent } from '../orchestrate/events.js';
import { escapeLine } from './escape.js';
import { formatBytes, seconds } from './plain-lines.js';

export type Step = 'connect' | 'metadata' | 'ready' | 'lock' | 'backup' | 'restore' | 'unlock' | 'drain' | 'upload' | 'done' | 'failed';

interface JobState {
  name: string;
  step: Step;
  transfer?: { startedAt: number; bytes: number; totalBytes?: number; finished?: { bytes: number; durationMs: number } };
}

interface InstanceState {
  name: string;
  step: Step;
  failed: boolean;
  jobs: Map<string, JobState>;
}


export class LiveState {
  title = '';
  phase = '';
  startedAt = 0;
  private readonly instances = new Map<string, InstanceState>();

  apply(event: RunEvent, at: number): void {
    switch (event.type) {
      case 'run-started':
        this.title = `${event.operation}${event.dryRun ? ' (dry run)' : ''} of '${event.deployment}'`;
        this.startedAt = at;
        for (const name of event.instanceNames ?? []) this.instance(name);
        break;
      case 'phase-started':
        this.phase = event.phase;
        break;
      case 'instance-connected':
        this.instance(event.instance).step = 'metadata';
        break;
      case 'instance-discovered': {
        const instance = this.instance(event.instance);
        instance.step = 'ready';
        for (const job of event.jobs) this.job(event.instance, job);
        break;
      }
      case 'script-started': {
        const step: Step = stepOfScript(event.script) ?? 'ready';
        this.job(event.instance, event.job).step = step;
        this.instance(event.instance).step = step;
        break;
      }
      case 'script-finished':
        if (event.error) {
          this.job(event.instance, event.job).step = 'failed';
          this.instance(event.instance).failed = true;
        }
        break;
      case 'transfer-started': {
        const job = this.job(event.instance, event.job);
        job.step = event.direction;
        job.transfer = { startedAt: at, bytes: 0, totalBytes: event.totalBytes };
        this.instance(event.instance).step = event.direction;
        break;
      }
      case 'transfer-progress': {
        const job = this.job(event.instance, event.job);
        if (job.transfer) job.transfer.bytes = event.bytes;
        break;
      }
      case 'transfer-finished': {
        const job = this.job(event.instance, event.job);
        job.step = 'done';
        job.transfer = { ...(job.transfer ?? { startedAt: at }), bytes: event.bytes, finished: { bytes: event.bytes, durationMs: event.durationMs } };
        break;
      }
      case 'run-finished':
        this.phase = event.exitCode === 0 ? 'finished' : `failed (exit code ${event.exitCode})`;
        for (const instance of this.instances.values()) if (!instance.failed && instance.step !== 'connect') instance.step = 'done';
        break;
      default:
        break;
    }
  }

  /** The frame: a title line, then per instance group its instances with their step and jobs. */
  frame(now: number): string {
    // Names come from the manifest and from instances: escaped here, before widths are measured.
    const lines = [`${escapeLine(this.title)}  ${clock(now - this.startedAt)}  ${this.phase}`];
    const groups = new Map<string, InstanceState[]>();
    for (const instance of this.instances.values()) {
      const group = escapeLine(instance.name.split('/')[0]!);
      groups.set(group, [...(groups.get(group) ?? []), instance]);
    }
    const width = Math.max(0, ...[...this.instances.keys()].map((n) => escapeLine(n).length));
    for (const [group, instances] of groups) {
      lines.push(group);
      for (const instance of instances) {
        const step = instance.failed ? 'FAILED' : instance.step;
        const jobs = [...instance.jobs.values()];
        const head = `  ${escapeLine(instance.name).padEnd(width)}  ${step.padEnd(8)}`;
        if (jobs.length === 0) lines.push(head.trimEnd());
        jobs.forEach((job, i) => lines.push(`${i === 0 ? head : ' '.repeat(head.length)}  ${escapeLine(job.name)}${describeJob(job, now)}`));
      }
    }
    return lines.join('\n');
  }

  private instance(name: string): InstanceState {
    let instance = this.instances.get(name);
    if (!instance) {
      instance = { name, step: 'connect', failed: false, jobs: new Map() };
      this.instances.set(name, instance);
    }
    return instance;
  }

  private job(instanceName: string, name: string): JobState {
    const instance = this.instance(instanceName);
    let job = instance.jobs.get(name);
    if (!job) {
      job = { name, step: 'ready' };
      instance.jobs.set(name, job);
    }
    return job;
  }
}

function describeJob(job: JobState, now: number): string {
  if (job.step === 'failed') return '  failed';
  const t = job.transfer;
  if (!t) return job.step === 'ready' || job.step === 'done' ? '' : `  ${job.step}`;
  if (t.finished) return `  ${formatBytes(t.finished.bytes)} in ${seconds(t.finished.durationMs)}`;
  const elapsedS = Math.max((now - t.startedAt) / 1000, 0.001);
  const rate = t.bytes / elapsedS;
  const total = t.totalBytes === undefined ? '' : ` / ${formatBytes(t.totalBytes)}`;
  const percent = t.totalBytes ? `  ${Math.min(100, Math.floor((t.bytes / t.totalBytes) * 100))}%` : '';
  const eta = t.totalBytes !== undefined && rate > 0 ? clock(((t.totalBytes - t.bytes) / rate) * 1000) : '--:--';
  return `  ${formatBytes(t.bytes)}${total}${percent}  ${formatBytes(Math.round(rate))}/s  ETA ${eta}`;
}

/** m:ss */
export function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}
