// The Gantt chart of the --report page: one row per job grouped by instance group, a bar per step, the locked
// window behind them, lock and unlock waves as lines, the critical path outlined and failures hatched. Bars
// carry letters and patterns so that nothing depends on colour alone; structural facts are data- attributes.
import { attributes, escapeHtml } from './html-escape.js';
import { seconds } from './plain-lines.js';
import type { RunSummary } from './summary.js';
import type { BarKind, Timeline, TimelineBar, TimelineRow } from './timeline.js';

export const BAR_LETTERS: Record<BarKind, string> = {
  connect: 'C',
  metadata: 'M',
  lock: 'L',
  backup: 'B',
  restore: 'R',
  unlock: 'U',
  drain: 'D',
  upload: 'P',
};

export function renderChart(summary: RunSummary, timeline: Timeline): string {
  const span = Math.max(1, timeline.durationMs);
  const pct = (ms: number) => `${((Math.min(Math.max(ms, 0), span) / span) * 100).toFixed(3)}%`;
  const widthPct = (start: number, end: number) => `${((Math.max(0, Math.min(end, span) - Math.max(start, 0)) / span) * 100).toFixed(3)}%`;
  const longest = summary.longestLock;
  const lines: string[] = [];

  lines.push(`<div class="line axis" aria-hidden="true"><div class="label">time since run start</div><div class="track">${ticks(span)
    .map((ms) => `<span class="tick" style="left:${pct(ms)}">${seconds(ms)}</span>`)
    .join('')}</div></div>`);
  lines.push(
    `<div class="line phases"><div class="label">phases</div><div class="track">${timeline.phases
      .map(
        (p) =>
          `<span${attributes({ class: 'phase', style: `left:${pct(p.startMs)};width:${widthPct(p.startMs, p.endMs)}`, title: `${p.phase}: ${seconds(p.startMs)} to ${seconds(p.endMs)} (${seconds(p.endMs - p.startMs)})${p.failures ? `, ${p.failures} failure(s)` : ''}`, 'data-phase': p.phase })}>${escapeHtml(p.phase)}</span>`,
      )
      .join('')}</div></div>`,
  );
  lines.push(
    `<div class="line waves"><div class="label">lock / unlock waves</div><div class="track">${timeline.waves
      .map(
        (w) =>
          `<span${attributes({ class: `wave w-${w.phase}`, style: `left:${pct(w.startMs)};width:${widthPct(w.startMs, w.endMs)}`, title: `${w.phase} wave ${w.wave}: ${w.jobs} job(s), ${seconds(w.startMs)} to ${seconds(w.endMs)}`, 'data-wave-phase': w.phase, 'data-wave': w.wave })}>${w.phase === 'lock' ? 'L' : 'U'}${w.wave}</span>`,
      )
      .join('')}</div></div>`,
  );

  let group: string | undefined;
  for (const row of timeline.rows) {
    if (row.group !== group) {
      group = row.group;
      lines.push(`<div class="line group"><div class="label">${escapeHtml(group)}</div><div class="track"></div></div>`);
    }
    const isLongest = longest !== undefined && longest.instance === row.instance && longest.job === row.job;
    lines.push(renderRow(row, isLongest, pct, widthPct));
  }

  const waveLines = timeline.waves
    .map((w) => `<span${attributes({ class: `wave-line w-${w.phase}`, style: `left:${pct(w.startMs)}` })}></span>`)
    .join('');
  const jobs = timeline.rows.filter((r) => r.job !== undefined).length;
  const label = `Timeline of ${jobs} job(s) over ${seconds(timeline.durationMs)}; the same data is in the table "Timeline as a table" below.`;
  return `<div class="scroll" role="img"${attributes({ 'aria-label': label })}><div class="chart"><div class="overlay" aria-hidden="true">${waveLines}</div>${lines.join('\n')}</div></div>`;
}

function renderRow(row: TimelineRow, isLongest: boolean, pct: (ms: number) => string, widthPct: (a: number, b: number) => string): string {
  const name = `${row.instance}${row.job === undefined ? '' : ` ${row.job}`}`;
  // An instance row without jobs: say whether it was ever reached (a connection failure names it below).
  const alone = row.job === undefined ? `<span class="mark">${row.bars.some((b) => b.kind === 'connect') ? '(no job with bbr scripts)' : '(not connected)'}</span>` : '';
  const marks = [alone, row.failed ? '<span class="mark failed-mark">&#x2716; FAILED</span>' : '', isLongest ? '<span class="mark longest-mark">&#x25C0; longest lock</span>' : ''].join('');
  const locked = row.locked
    ? `<span${attributes({
        class: `locked${isLongest ? ' longest' : ''}`,
        style: `left:${pct(row.locked.startMs)};width:${widthPct(row.locked.startMs, row.locked.endMs)}`,
        title: `${name}: locked for ${seconds(row.locked.endMs - row.locked.startMs)} (${seconds(row.locked.startMs)} to ${seconds(row.locked.endMs)})${isLongest ? ', the longest lock of the run' : ''}`,
      })}></span>`
    : '';
  const bars = row.bars.map((bar) => renderBar(name, bar, pct, widthPct)).join('');
  const attrs = attributes({
    class: `line job${row.failed ? ' failed' : ''}`,
    'data-instance': row.instance,
    'data-job': row.job,
    'data-failed': row.failed,
    'data-longest-lock': isLongest ? true : undefined,
    'data-lock-wave': row.locked?.wave ?? row.bars.find((b) => b.kind === 'lock')?.wave,
    'data-locked-start-ms': row.locked?.startMs,
    'data-locked-end-ms': row.locked?.endMs,
  });
  return `<div${attrs}><div class="label"${attributes({ title: name })}>${escapeHtml(name)}${marks}</div><div class="track">${locked}${bars}</div></div>`;
}

function renderBar(name: string, bar: TimelineBar, pct: (ms: number) => string, widthPct: (a: number, b: number) => string): string {
  const wave = bar.wave === undefined ? '' : `, wave ${bar.wave}`;
  const state = bar.failed ? ' FAILED' : bar.unfinished ? ' (did not finish)' : '';
  const title = `${name}: ${bar.kind}${wave}${state}, ${seconds(bar.startMs)} to ${seconds(bar.endMs)} (${seconds(bar.endMs - bar.startMs)})${bar.critical ? ', on the critical path' : ''}${bar.message ? `\n${bar.message}` : ''}`;
  const classes = ['bar', `k-${bar.kind}`, bar.failed ? 'failed' : '', bar.unfinished ? 'unfinished' : '', bar.critical ? 'critical' : ''].filter(Boolean).join(' ');
  const text = `${bar.failed ? '\u2716' : ''}${BAR_LETTERS[bar.kind]}${bar.wave ?? ''}`;
  return `<span${attributes({
    class: classes,
    style: `left:${pct(bar.startMs)};width:${widthPct(bar.startMs, bar.endMs)}`,
    title,
    'data-kind': bar.kind,
    'data-start-ms': bar.startMs,
    'data-end-ms': bar.endMs,
    'data-wave': bar.wave,
    'data-failed': bar.failed ? true : undefined,
    'data-critical': bar.critical ? true : undefined,
  })}>${escapeHtml(text)}</span>`;
}

/** Round tick positions (1, 2 or 5 times a power of ten) giving about ten ticks over the run. */
export function ticks(spanMs: number): number[] {
  const raw = spanMs / 10;
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? power * 10;
  const result: number[] = [];
  for (let ms = 0; ms <= spanMs && result.length < 100; ms += step) result.push(ms);
  return result;
}

/** Every bar as text: the chart's text alternative, and what a printout keeps when bars get too thin. */
export function renderTimelineTable(timeline: Timeline): string {
  const body = timeline.rows
    .map((row) => {
      const steps = row.bars
        .map((b) => `${b.kind}${b.wave === undefined ? '' : ` (wave ${b.wave})`} ${seconds(b.startMs)}\u2013${seconds(b.endMs)}${b.failed ? ' FAILED' : b.unfinished ? ' did not finish' : ''}${b.critical ? ' [critical]' : ''}`)
        .join('; ');
      const locked = row.locked ? `${seconds(row.locked.endMs - row.locked.startMs)} (${seconds(row.locked.startMs)}\u2013${seconds(row.locked.endMs)})` : '-';
      return `<tr${attributes({ 'data-instance': row.instance, 'data-job': row.job })}><td>${escapeHtml(row.instance)}</td><td>${escapeHtml(row.job ?? '(no jobs)')}</td><td>${escapeHtml(locked)}</td><td>${escapeHtml(steps)}</td><td>${row.failed ? 'FAILED' : 'ok'}</td></tr>`;
    })
    .join('\n');
  return `<table class="text-table"><caption>Timeline as a table (times from the start of the run)</caption><thead><tr><th scope="col">instance</th><th scope="col">job</th><th scope="col">locked</th><th scope="col">steps</th><th scope="col">result</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}
