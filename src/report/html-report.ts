// The --report page (and `bbr-ts report SUMMARY.json --html FILE`): one self-contained HTML file with inline
// CSS and no script, so it opens from an air-gapped jumpbox and can be attached to a ticket. Pure: a summary
// in, a string out. Every string that came from an instance or a file is escaped (html-escape.ts).
import { escapeHtml } from './html-escape.js';
import { REPORT_CSS } from './html-style.js';
import { BAR_LETTERS, renderChart, renderTimelineTable } from './html-timeline.js';
import { formatBytes, seconds } from './plain-lines.js';
import { hasJobActivity, type RunSummary } from './summary.js';
import type { BarKind, CriticalStep, Timeline } from './timeline.js';

export function renderHtmlReport(summary: RunSummary, options: { generator?: string } = {}): string {
  const what = `${summary.operation ?? 'run'}${summary.dryRun ? ' (dry run)' : ''}${summary.deployment === undefined ? '' : ` of '${summary.deployment}'`}`;
  const ok = summary.status === 'succeeded';
  const verdict = ok ? 'succeeded' : `FAILED (exit code ${summary.exitCode})`;
  const timeline = summary.timeline;
  const parts = [
    `<header><h1>${escapeHtml(what)} <span class="verdict ${ok ? 'ok' : 'failed'}">${escapeHtml(verdict)}</span></h1>${facts(summary)}</header>`,
    callouts(summary, timeline),
    `<section id="timeline"><h2>Timeline</h2>`,
    timeline && timeline.rows.length > 0
      ? `${legend()}${renderChart(summary, timeline)}<p class="note">Hover over a bar for its times and, for a failure, its message. Rows scroll; job names stay on the left.</p>`
      : '<p class="note">No timeline: the run did not reach its instances, or the summary was written by a bbr-ts without timelines.</p>',
    `</section>`,
    failures(summary, timeline),
    `<section id="summary"><h2>Summary</h2>${summaryTable(summary)}</section>`,
    timeline && timeline.rows.length > 0 ? `<section id="timeline-text"><h2>Timeline as a table</h2>${renderTimelineTable(timeline)}</section>` : '',
    `<footer class="note"><p>Written by ${escapeHtml(options.generator ?? 'bbr-ts')}${summary.runId ? `, run ${escapeHtml(summary.runId)}` : ''}.</p></footer>`,
  ];
  return [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>bbr-ts: ${escapeHtml(what)} ${escapeHtml(verdict)}</title><style>${REPORT_CSS}</style></head>`,
    `<body data-status="${ok ? 'succeeded' : 'failed'}" data-exit-code="${Number(summary.exitCode) | 0}">`,
    ...parts,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function facts(summary: RunSummary): string {
  const rows: [string, string | undefined][] = [
    ['deployment', summary.deployment],
    ['mode', summary.operation === undefined ? undefined : `${summary.operation}${summary.dryRun ? ' (dry run)' : ''}`],
    ['started', summary.startedAt],
    ['duration', duration(summary)],
    ['exit code', String(summary.exitCode)],
    ['artifact', summary.artifactPath],
    ['bytes', `${formatBytes(summary.artifactBytes)} (${summary.artifactBytes} bytes in ${summary.jobs.filter((j) => j.artifactFile !== undefined).length} file(s))`],
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v === undefined ? '-' : escapeHtml(v)}</dd>`).join('')}</dl>`;
}

/** The command's whole time; the timeline starts once the manifest was read, so it may be a little shorter. */
function duration(summary: RunSummary): string | undefined {
  if (summary.durationMs === undefined) return undefined;
  const drawn = summary.timeline?.durationMs;
  if (drawn === undefined || Math.abs(summary.durationMs - drawn) < 10) return seconds(summary.durationMs);
  return `${seconds(summary.durationMs)} (the timeline covers ${seconds(drawn)}: it starts once the manifest was read)`;
}

function callouts(summary: RunSummary, timeline: Timeline | undefined): string {
  const out: string[] = [];
  if (summary.longestLock) {
    const { instance, job, durationMs } = summary.longestLock;
    const row = timeline?.rows.find((r) => r.instance === instance && r.job === job);
    const when = row?.locked ? ` from ${seconds(row.locked.startMs)} to ${seconds(row.locked.endMs)} after the start${row.locked.wave === undefined ? '' : `, lock wave ${row.locked.wave}`}` : '';
    out.push(`<p class="callout longest" id="longest-lock"><strong>Longest lock:</strong> ${escapeHtml(`${instance} ${job}`)}, <strong>${seconds(durationMs)}</strong>${when} (its users saw downtime for this long).</p>`);
  }
  if (summary.drill) {
    const d = summary.drill;
    out.push(`<p class="callout">Drill ${d.passed ? 'PASSED' : 'FAILED'}: time to restore <strong>${seconds(d.restoreMs)}</strong>${d.verifyMs === undefined ? ', verification not run' : `, verification on ${escapeHtml(d.verifiedOn ?? '?')} ${seconds(d.verifyMs)} (exit status ${d.verifyExitCode ?? 'none'})`}.</p>`);
  }
  if (timeline && timeline.criticalPath.length > 0) {
    out.push(
      `<div class="callout critical" id="critical-path"><strong>Critical path</strong> (what the run waited on: per phase and per lock or unlock wave, the step that ended last; outlined in the chart):<ol class="path">${timeline.criticalPath.map((s) => `<li>${escapeHtml(describeStep(s))}</li>`).join('')}</ol></div>`,
    );
  }
  return out.join('\n');
}

function describeStep(step: CriticalStep): string {
  const phase = step.wave === undefined ? step.phase : `${step.phase} wave ${step.wave}`;
  const who = step.instance === undefined ? '' : `: ${step.instance}${step.job === undefined ? '' : ` ${step.job}`}`;
  return `${phase}${who}, ${seconds(step.endMs - step.startMs)} (${seconds(step.startMs)} to ${seconds(step.endMs)})`;
}

function legend(): string {
  const kinds: [BarKind, string][] = [
    ['connect', 'connect'],
    ['metadata', 'discover and metadata'],
    ['lock', 'lock script'],
    ['backup', 'backup / restore script'],
    ['unlock', 'unlock script'],
    ['drain', 'drain (backup)'],
    ['upload', 'upload (restore)'],
  ];
  const items = kinds.map(([k, text]) => `<li><span class="bar k-${k}">${BAR_LETTERS[k]}</span>${text}</li>`);
  items.push('<li><span class="locked"></span>locked window (lock start to unlock end); double frame: the longest</li>');
  items.push('<li><span class="bar k-backup failed">&#x2716;</span>failed (message on hover and below)</li>');
  items.push('<li><span class="bar k-lock critical">L</span>outlined: on the critical path</li>');
  items.push('<li>dashed lines: lock waves start; dotted: unlock waves; L1/U1 = lock/unlock wave 1</li>');
  return `<ul class="legend" aria-label="legend">${items.join('')}</ul>`;
}

function failures(summary: RunSummary, timeline: Timeline | undefined): string {
  const jobFailures = (timeline?.rows ?? []).filter((r) => r.messages.length > 0);
  if (summary.errors.length === 0 && jobFailures.length === 0) return '';
  const errors = summary.errors
    .map((e) => `<li><strong>${escapeHtml(e.code)}</strong> (exit bit ${Number(e.exitBit) | 0})<pre>${escapeHtml(e.message)}</pre>${e.hint ? `<div>next step: ${escapeHtml(e.hint)}</div>` : ''}</li>`)
    .join('');
  const perJob = jobFailures
    .map((r) => `<li>${escapeHtml(`${r.instance} ${r.job ?? ''}`)}<pre>${r.messages.map(escapeHtml).join('\n')}</pre></li>`)
    .join('');
  return `<section id="failures" class="callout failures" data-failures="${summary.errors.length}"><h2>Failures</h2>${errors ? `<ol class="errors">${errors}</ol>` : ''}${perJob ? `<p>By job:</p><ul class="errors">${perJob}</ul>` : ''}</section>`;
}

/** The terminal's summary table (summary-table.ts), as HTML. */
function summaryTable(summary: RunSummary): string {
  if (!hasJobActivity(summary)) return '<p class="note">No job was worked on.</p>';
  const restoring = summary.operation === 'restore' || summary.operation === 'drill';
  const head = ['instance', 'job', 'locked', restoring ? 'restore' : 'backup', restoring ? 'upload' : 'drain', 'size', 'result', ''];
  const time = (ms: number | undefined) => (ms === undefined ? '-' : seconds(ms));
  const rows = summary.jobs.map((job) => {
    const longest = summary.longestLock?.instance === job.instance && summary.longestLock.job === job.job;
    const result = job.result === 'failed' ? `failed (${job.failedScripts.join(', ')})` : job.result;
    const cells = [job.instance, job.job, time(job.lockedMs), time(job.backupMs ?? job.restoreMs), time(job.drainMs ?? job.uploadMs), job.artifactBytes === undefined ? '-' : formatBytes(job.artifactBytes), result, longest ? '<= longest lock' : ''];
    return `<tr${job.result === 'ok' ? '' : ' class="not-ok"'}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<table class="summary-table"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
