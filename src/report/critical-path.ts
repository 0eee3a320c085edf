// The critical path of a run: what it waited on. A run is a chain of phases (connect, check, lock, backup,
// unlock, drain, cleanup, ...) and a phase, or a lock or unlock wave within it, ends only when its last job
// ends; the next one starts after it. So the path is, for each phase and each wave in order, the step that
// ended last: the slowest instance to connect and read metadata, the slowest lock script of each lock wave,
// the slowest backup script, the slowest unlock script of each unlock wave, the slowest drain. Restore
// scripts run one after another (as in BBR), so every one of them is on the path. A phase without per-job
// steps (check, verify, cleanup, drill-verify), or whose jobs left no bars, is on it as a whole. Pure.
import type { Phase } from '../orchestrate/events.js';
import type { BarKind, TimelineBar, TimelinePhase, TimelineRow } from './timeline.js';

export interface CriticalStep {
  phase: Phase;
  /** The lock or unlock wave this step ended. */
  wave?: number;
  /** The instance and job the phase (or wave) waited on; absent when the phase as a whole is the step. */
  instance?: string;
  job?: string;
  startMs: number;
  endMs: number;
}

const JOB_PHASES: Partial<Record<Phase, BarKind[]>> = {
  connect: ['connect', 'metadata'],
  lock: ['lock'],
  backup: ['backup'],
  restore: ['restore'],
  unlock: ['unlock'],
  drain: ['drain'],
  upload: ['upload'],
};

interface Candidate {
  row: TimelineRow;
  bars: TimelineBar[];
  startMs: number;
  endMs: number;
  wave?: number;
}

/** Computes the path and marks its bars `critical` in `rows` (which the caller owns). */
export function criticalPath(rows: readonly TimelineRow[], phases: readonly TimelinePhase[]): CriticalStep[] {
  const steps: CriticalStep[] = [];
  for (const phase of phases) {
    const kinds = JOB_PHASES[phase.phase];
    const candidates = kinds ? candidatesIn(rows, phase, kinds) : [];
    if (candidates.length === 0) {
      steps.push({ phase: phase.phase, startMs: phase.startMs, endMs: phase.endMs });
      continue;
    }
    // Restore scripts run in sequence: each of them held the run up. Elsewhere, the last to end in each wave.
    const chosen = phase.phase === 'restore' ? candidates.sort((a, b) => a.startMs - b.startMs) : slowestPerWave(candidates);
    for (const c of chosen) {
      for (const bar of c.bars) bar.critical = true;
      // The instance's connect and metadata bars are drawn on each of its job rows: mark them all.
      if (phase.phase === 'connect') markInstanceBars(rows, c.row.instance, kinds!);
      steps.push({
        phase: phase.phase,
        ...(c.wave === undefined ? {} : { wave: c.wave }),
        instance: c.row.instance,
        ...(c.row.job === undefined || phase.phase === 'connect' ? {} : { job: c.row.job }),
        startMs: c.startMs,
        endMs: c.endMs,
      });
    }
  }
  return steps;
}

/** One candidate per row: its bars of the phase's kinds that ended within the phase. */
function candidatesIn(rows: readonly TimelineRow[], phase: TimelinePhase, kinds: BarKind[]): Candidate[] {
  const seen = new Set<string>();
  const result: Candidate[] = [];
  for (const row of rows) {
    // Connect and metadata belong to the instance: one candidate per instance, not per job.
    if (phase.phase === 'connect') {
      if (seen.has(row.instance)) continue;
      seen.add(row.instance);
    }
    const bars = row.bars.filter((b) => kinds.includes(b.kind) && b.endMs >= phase.startMs && b.endMs <= phase.endMs);
    if (bars.length === 0) continue;
    result.push({
      row,
      bars,
      startMs: Math.min(...bars.map((b) => b.startMs)),
      endMs: Math.max(...bars.map((b) => b.endMs)),
      wave: bars.find((b) => b.wave !== undefined)?.wave,
    });
  }
  return result;
}

function slowestPerWave(candidates: Candidate[]): Candidate[] {
  const byWave = new Map<number, Candidate>();
  for (const c of candidates) {
    const key = c.wave ?? 0;
    const best = byWave.get(key);
    if (!best || c.endMs > best.endMs) byWave.set(key, c);
  }
  return [...byWave.values()].sort((a, b) => a.startMs - b.startMs);
}

function markInstanceBars(rows: readonly TimelineRow[], instance: string, kinds: BarKind[]): void {
  for (const row of rows) {
    if (row.instance !== instance) continue;
    for (const bar of row.bars) if (kinds.includes(bar.kind)) bar.critical = true;
  }
}
