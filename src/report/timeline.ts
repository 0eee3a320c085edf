// A run's timeline, for the --report picture and the `timeline` field of --summary-json: when each job's
// steps ran (milliseconds from the run's start), its locked window, the lock and unlock waves, and the
// critical path. Pure: the caller passes the time each event arrived. Events are emitted as things happen,
// so their arrival time is when they happened; durations carried by events date the starts of connect and
// discovery, which have no start event of their own.
import { stepOfScript } from '../contract/paths.js';
import type { Phase, RunEvent } from '../orchestrate/events.js';
import { criticalPath, type CriticalStep } from './critical-path.js';

export type BarKind = 'connect' | 'metadata' | 'lock' | 'backup' | 'restore' | 'unlock' | 'drain' | 'upload';

export interface TimelineBar {
  kind: BarKind;
  startMs: number;
  endMs: number;
  /** The 1-based lock or unlock wave of a lock or unlock script. */
  wave?: number;
  failed?: boolean;
  /** Still running when the run ended (interrupted, abandoned, or its transfer failed). */
  unfinished?: boolean;
  /** The failure's message (hostile text from the instance: escape before display). */
  message?: string;
  /** Part of the critical path (see critical-path.ts). */
  critical?: boolean;
}

export interface TimelineRow {
  instance: string;
  /** The instance group (the instance name without `/index`); rows are grouped by it. */
  group: string;
  /** Absent on an instance row without jobs (not reachable, or no job with bbr scripts). */
  job?: string;
  bars: TimelineBar[];
  /** From the start of the job's lock script to the end of its unlock script (the `lock-window` event). */
  locked?: { startMs: number; endMs: number; wave?: number };
  failed: boolean;
  /** Failures that belong to this job (script failures and drain or upload failures). */
  messages: string[];
}

export interface TimelinePhase {
  phase: Phase;
  startMs: number;
  endMs: number;
  failures: number;
}

export interface TimelineWave {
  phase: 'lock' | 'unlock';
  /** 1-based, in the order the waves ran. */
  wave: number;
  startMs: number;
  endMs: number;
  jobs: number;
}

export interface Timeline {
  /** Bumped only when a field changes meaning; new fields may be added. */
  version: 1;
  startedAt: string;
  durationMs: number;
  rows: TimelineRow[];
  phases: TimelinePhase[];
  waves: TimelineWave[];
  criticalPath: CriticalStep[];
}

export type { CriticalStep };

/** A script's bar; the metadata script has none of its own (the discovery bar covers it). */
function barOf(script: string): BarKind | undefined {
  const step = stepOfScript(script);
  return step === 'metadata' ? undefined : step;
}

/** A failure message kept in the timeline: the first lines, bounded (a script's tail can be long). */
const MAX_MESSAGE_CHARS = 2000;

interface OpenRow extends TimelineRow {
  order: number;
  open: Map<string, TimelineBar>;
}

/** Folds events (with their arrival times) into a Timeline; feed it every event of one run. */
export class TimelineCollector {
  private startAt?: number;
  private startedAt?: string;
  private endAt?: number;
  private lastAt = 0;
  private instanceOrder: string[] = [];
  private readonly instanceBars = new Map<string, TimelineBar[]>();
  /** Failures of an instance as a whole (connecting, discovery), shown on each of its rows. */
  private readonly instanceMessages = new Map<string, string[]>();
  private readonly rows = new Map<string, OpenRow>();
  private readonly phases: TimelinePhase[] = [];
  private readonly openPhases = new Map<Phase, number>();

  add(event: RunEvent, atMs: number): void {
    if (event.type === 'run-started') {
      this.startAt = atMs;
      this.startedAt = new Date(atMs).toISOString();
      this.instanceOrder = event.instanceNames ?? [];
    }
    if (this.startAt === undefined) return;
    const t = Math.max(0, Math.round(atMs - this.startAt));
    this.lastAt = Math.max(this.lastAt, t);
    switch (event.type) {
      case 'phase-started':
        this.openPhases.set(event.phase, t);
        break;
      case 'phase-finished':
        this.phases.push({ phase: event.phase, startMs: this.openPhases.get(event.phase) ?? Math.max(0, t - event.durationMs), endMs: t, failures: event.failures });
        this.openPhases.delete(event.phase);
        break;
      case 'instance-connected':
        this.barsOf(event.instance).push({ kind: 'connect', startMs: Math.max(0, t - event.durationMs), endMs: t });
        break;
      case 'instance-discovered':
        this.barsOf(event.instance).push({ kind: 'metadata', startMs: Math.max(0, t - event.durationMs), endMs: t });
        for (const job of event.jobs) this.row(event.instance, job);
        break;
      case 'script-started': {
        const kind = barOf(event.script);
        if (kind) this.row(event.instance, event.job).open.set(kind, { kind, startMs: t, endMs: t, ...(event.wave === undefined ? {} : { wave: event.wave }) });
        break;
      }
      case 'script-finished': {
        const kind = barOf(event.script);
        if (!kind) break;
        const row = this.row(event.instance, event.job);
        const bar = this.close(row, kind, t, event.durationMs);
        if (event.error) this.markFailed(row, bar, event.error.message);
        break;
      }
      case 'transfer-started':
        this.row(event.instance, event.job).open.set(event.direction, { kind: event.direction, startMs: t, endMs: t });
        break;
      case 'transfer-finished':
        this.close(this.row(event.instance, event.job), event.direction, t, event.durationMs);
        break;
      case 'lock-window': {
        const row = this.row(event.instance, event.job);
        const wave = row.bars.find((b) => b.kind === 'lock')?.wave;
        row.locked = { startMs: Math.max(0, t - event.durationMs), endMs: t, ...(wave === undefined ? {} : { wave }) };
        break;
      }
      case 'failure':
        if (event.instance !== undefined && event.job === undefined) this.instanceFailed(event.instance, event.error.message, t);
        else if (event.instance !== undefined && event.job !== undefined) {
          const row = this.row(event.instance, event.job);
          // A drain or upload that failed never finishes: its open bar is the one that failed.
          const open = row.open.get('drain') ?? row.open.get('upload');
          if (open) {
            row.open.delete(open.kind);
            row.bars.push({ ...open, endMs: t, unfinished: true });
            this.markFailed(row, row.bars.at(-1)!, event.error.message);
          } else {
            this.markFailed(row, undefined, event.error.message);
          }
        }
        break;
      case 'run-finished':
        this.endAt = t;
        break;
      default:
        break;
    }
  }

  /** The timeline so far (bars still open end at the last event); undefined when no run started. */
  timeline(): Timeline | undefined {
    if (this.startAt === undefined || this.startedAt === undefined) return undefined;
    const end = this.endAt ?? this.lastAt;
    const phases = [
      ...this.phases,
      ...[...this.openPhases].map(([phase, startMs]) => ({ phase, startMs, endMs: end, failures: 0 })),
    ].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
    const rows = this.sortedRows(end);
    const waves = wavesOf(rows);
    const path = criticalPath(rows, phases);
    return { version: 1, startedAt: this.startedAt, durationMs: end, rows, phases, waves, criticalPath: path };
  }

  private barsOf(instance: string): TimelineBar[] {
    let bars = this.instanceBars.get(instance);
    if (!bars) {
      bars = [];
      this.instanceBars.set(instance, bars);
    }
    return bars;
  }

  private row(instance: string, job: string): OpenRow {
    const key = `${instance}\u0000${job}`;
    let row = this.rows.get(key);
    if (!row) {
      row = { instance, group: groupOf(instance), job, bars: [], failed: false, messages: [], order: this.rows.size, open: new Map() };
      this.rows.set(key, row);
    }
    return row;
  }

  private close(row: OpenRow, kind: BarKind, t: number, durationMs: number): TimelineBar {
    const open = row.open.get(kind);
    row.open.delete(kind);
    const bar = open ? { ...open, endMs: t } : { kind, startMs: Math.max(0, t - durationMs), endMs: t };
    row.bars.push(bar);
    return bar;
  }

  /**
   * Connecting or discovery failed: a failed connect bar (from the connect phase's start, when connections are
   * opened) or, once connected, a failed metadata bar from the connection on; the instance's rows are failed.
   */
  private instanceFailed(instance: string, message: string, t: number): void {
    const text = bounded(message);
    const bars = this.barsOf(instance);
    const connected = bars.find((b) => b.kind === 'connect');
    const kind: BarKind = connected ? 'metadata' : 'connect';
    if (!bars.some((b) => b.kind === kind)) {
      bars.push({ kind, startMs: Math.min(t, connected ? connected.endMs : (this.openPhases.get('connect') ?? t)), endMs: t, failed: true, message: text });
    }
    const messages = this.instanceMessages.get(instance) ?? [];
    messages.push(text);
    this.instanceMessages.set(instance, messages);
  }

  private markFailed(row: OpenRow, bar: TimelineBar | undefined, message: string): void {
    const text = bounded(message);
    row.failed = true;
    row.messages.push(text);
    if (bar) {
      bar.failed = true;
      bar.message = text;
    }
  }

  /** Manifest order of instances, discovery order of jobs; instances without jobs get a row of their own. */
  private sortedRows(end: number): TimelineRow[] {
    const rank = (instance: string) => {
      const i = this.instanceOrder.indexOf(instance);
      return i === -1 ? Number.MAX_SAFE_INTEGER : i;
    };
    const rows: OpenRow[] = [...this.rows.values()];
    const withJobs = new Set(rows.map((r) => r.instance));
    for (const instance of new Set([...this.instanceOrder, ...this.instanceBars.keys()])) {
      if (!withJobs.has(instance)) {
        rows.push({ instance, group: groupOf(instance), bars: [], failed: false, messages: [], order: rows.length, open: new Map() });
      }
    }
    return rows
      .sort((a, b) => rank(a.instance) - rank(b.instance) || a.instance.localeCompare(b.instance) || a.order - b.order)
      .map(({ order: _order, open, ...row }) => {
        const still = [...open.values()].map((bar) => ({ ...bar, endMs: end, unfinished: true }));
        const bars = [...(this.instanceBars.get(row.instance) ?? []).map((bar) => ({ ...bar })), ...row.bars, ...still];
        const messages = [...(this.instanceMessages.get(row.instance) ?? []), ...row.messages];
        return { ...row, bars: bars.sort((a, b) => a.startMs - b.startMs), failed: row.failed || messages.length > 0, messages };
      });
  }
}

function bounded(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}...` : message;
}

/** Lock and unlock waves as they ran: from the first script start to the last script end of each. */
function wavesOf(rows: readonly TimelineRow[]): TimelineWave[] {
  const waves = new Map<string, TimelineWave>();
  for (const row of rows) {
    for (const bar of row.bars) {
      if ((bar.kind !== 'lock' && bar.kind !== 'unlock') || bar.wave === undefined) continue;
      const key = `${bar.kind}:${bar.wave}`;
      const wave = waves.get(key);
      if (!wave) waves.set(key, { phase: bar.kind, wave: bar.wave, startMs: bar.startMs, endMs: bar.endMs, jobs: 1 });
      else {
        wave.startMs = Math.min(wave.startMs, bar.startMs);
        wave.endMs = Math.max(wave.endMs, bar.endMs);
        wave.jobs++;
      }
    }
  }
  return [...waves.values()].sort((a, b) => a.startMs - b.startMs || a.wave - b.wave);
}

function groupOf(instance: string): string {
  const slash = instance.lastIndexOf('/');
  return slash > 0 ? instance.slice(0, slash) : instance;
}
