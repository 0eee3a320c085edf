import { describe, expect, it } from 'vitest';
import { BackupError } from '../errors.js';
import type { RunEvent } from '../orchestrate/events.js';
import { escapeHtml } from './html-escape.js';
import { renderHtmlReport } from './html-report.js';
import { ticks } from './html-timeline.js';
import { parseSummaryJson } from './summary-file.js';
import { SummaryCollector, type RunSummary } from './summary.js';
import { TimelineCollector } from './timeline.js';

const T0 = Date.parse('2026-01-02T03:04:05Z');
const HOSTILE_JOB = '<script>alert("job")</script>';
const HOSTILE_MESSAGE = 'backup failed: <img src=x onerror=alert(1)> \u202Egnp.exe\u001b[31m';

/** A run of `jobs` jobs on as many instances; the job on the last instance fails its backup. */
function summaryOf(jobs: number, options: { hostile?: boolean } = {}): RunSummary {
  const names = Array.from({ length: jobs }, (_, i) => `g${i % 3}/${i}`);
  const job = options.hostile ? HOSTILE_JOB : 'j';
  const events: [number, RunEvent][] = [[0, { type: 'run-started', operation: 'backup', deployment: 'dep"<x>', instances: jobs, runId: 'r', instanceNames: names }]];
  names.forEach((instance, i) => {
    const failing = options.hostile && i === jobs - 1;
    events.push(
      [i, { type: 'instance-discovered', instance, jobs: [job], durationMs: 1 }],
      [100 + i, { type: 'script-started', instance, job, script: 'pre-backup-lock', wave: 1 + (i % 2) }],
      [110 + i, { type: 'script-finished', instance, job, script: 'pre-backup-lock', durationMs: 10 }],
      [200, { type: 'script-started', instance, job, script: 'backup' }],
      [300 + i, { type: 'script-finished', instance, job, script: 'backup', durationMs: 100 + i, ...(failing ? { error: new BackupError(HOSTILE_MESSAGE) } : {}) }],
      [400, { type: 'script-started', instance, job, script: 'post-backup-unlock', wave: 1 }],
      [410 + i, { type: 'script-finished', instance, job, script: 'post-backup-unlock', durationMs: 10 }],
      [410 + i, { type: 'lock-window', instance, job, durationMs: 310 }],
    );
  });
  for (const [phase, from, to] of [['lock', 99, 150], ['backup', 199, 350], ['unlock', 399, 450]] as const) {
    events.push([from, { type: 'phase-started', phase, jobs }], [to, { type: 'phase-finished', phase, durationMs: to - from, failures: 0 }]);
  }
  if (options.hostile) events.push([500, { type: 'failure', error: new BackupError(HOSTILE_MESSAGE, { hint: 'look at <b>it</b>' }) }]);
  events.push([600, { type: 'run-finished', operation: 'backup', exitCode: options.hostile ? 1 : 0, durationMs: 600, artifactPath: '/a/<dir>' }]);
  const summary = new SummaryCollector();
  const timeline = new TimelineCollector();
  for (const [ms, event] of events.sort((a, b) => a[0] - b[0])) {
    summary.add(event, new Date(T0 + ms));
    timeline.add(event, T0 + ms);
  }
  return { ...summary.summary(), timeline: timeline.timeline() };
}

describe('renderHtmlReport', () => {
  it('escapes every string from instances: job names, messages, hints, paths', () => {
    const html = renderHtmlReport(summaryOf(3, { hostile: true }));
    // The page has no script of its own, so any <script or event handler markup would be injected.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;job&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('look at &lt;b&gt;it&lt;/b&gt;');
    expect(html).toContain('/a/&lt;dir&gt;');
    expect(html).toContain('dep&quot;&lt;x&gt;');
    // Bidi overrides and escape sequences become visible text instead of reordering or hiding what follows.
    expect(html).not.toMatch(/[\u202e\u001b]/);
    expect(html).toContain('\\u{202e}gnp.exe\\x1b[31m');
  });

  it('is self-contained: no external resource, link or script', () => {
    const html = renderHtmlReport(summaryOf(3));
    expect(html).not.toMatch(/<[^>]*\s(src|href)=/i);
    expect(html).not.toMatch(/url\(|@import|https?:/i);
  });

  it('shows a row per job with its lock wave and locked window, the longest lock and the failure', () => {
    const html = renderHtmlReport(summaryOf(3, { hostile: true }));
    const rows = [...html.matchAll(/<div class="line job[^"]*" data-instance="([^"]+)"[^>]* data-failed="(true|false)"[^>]* data-lock-wave="(\d+)" data-locked-start-ms="(\d+)"/g)];
    expect(rows.map((m) => [m[1], m[2], m[3], m[4]])).toEqual([
      ['g0/0', 'false', '1', '100'],
      ['g1/1', 'false', '2', '101'],
      ['g2/2', 'true', '1', '102'],
    ]);
    expect(html).toMatch(/data-kind="backup"[^>]*data-failed="true"/);
    expect(html).toContain('id="longest-lock"');
    expect(html).toContain('id="critical-path"');
    expect(html).toMatch(/<section id="failures"[^>]*data-failures="1"/);
    expect(html).toContain('<body data-status="failed" data-exit-code="1">');
    // A text alternative for the chart and print rules.
    expect(html).toMatch(/role="img" aria-label="Timeline of 3 job\(s\)/);
    expect(html).toContain('<caption>Timeline as a table');
    expect(html).toContain('@media print');
  });

  it('says which instance was never reached', () => {
    const summary = summaryOf(2);
    const timeline = new TimelineCollector();
    timeline.add({ type: 'run-started', operation: 'backup', deployment: 'd', instances: 2, runId: 'r', instanceNames: ['a/0', 'b/0'] }, T0);
    timeline.add({ type: 'instance-connected', instance: 'a/0', address: 'x', durationMs: 5 }, T0 + 5);
    timeline.add({ type: 'run-finished', operation: 'backup', exitCode: 1, durationMs: 10 }, T0 + 10);
    const html = renderHtmlReport({ ...summary, timeline: timeline.timeline() });
    expect(html).toMatch(/data-instance="a\/0"[^>]*>.*?a\/0<span class="mark">\(no job with bbr scripts\)/);
    expect(html).toMatch(/data-instance="b\/0"[^>]*>.*?b\/0<span class="mark">\(not connected\)/);
  });

  it('draws 200 jobs with one row each', () => {
    const html = renderHtmlReport(summaryOf(200));
    expect(html.match(/<div class="line job/g)).toHaveLength(200);
    expect(html.match(/<div class="line group"/g)).toHaveLength(200); // g0, g1, g2 alternate in manifest order
  });

  it('renders the same page from a saved --summary-json', () => {
    const summary = summaryOf(3, { hostile: true });
    const saved = JSON.stringify({ schemaVersion: 1, ...summary });
    expect(renderHtmlReport(parseSummaryJson(saved, 's.json'))).toBe(renderHtmlReport(summary));
  });
});

describe('parseSummaryJson', () => {
  it('refuses what is not a summary, and summaries from a newer schema', () => {
    expect(() => parseSummaryJson('{', 'x.json')).toThrow(/x\.json is not JSON/);
    expect(() => parseSummaryJson('[]', 'x.json')).toThrow(/not a bbr-ts --summary-json file/);
    expect(() => parseSummaryJson('{"schemaVersion": 9, "jobs": []}', 'x.json')).toThrow(/schemaVersion 9/);
  });

  it('drops fields of the wrong type instead of drawing them', () => {
    const summary = parseSummaryJson(
      JSON.stringify({
        schemaVersion: 1,
        status: 'succeeded',
        exitCode: 0,
        jobs: [{ instance: 'a/0', job: 7, result: 'pwned' }],
        errors: 'nope',
        timeline: { durationMs: 'x', rows: [{ instance: 'a/0', bars: [{ kind: 'evil" onmouseover="x', startMs: 1, endMs: 2 }, { kind: 'lock', startMs: -5, endMs: 'z' }] }] },
      }),
      's.json',
    );
    expect(summary.jobs).toEqual([expect.objectContaining({ instance: 'a/0', job: '?', result: 'failed' })]);
    expect(summary.errors).toEqual([]);
    expect(summary.timeline!.rows[0]!.bars).toEqual([{ kind: 'lock', startMs: 0, endMs: 0 }]);
    expect(renderHtmlReport(summary)).not.toContain('onmouseover');
  });
});

describe('helpers', () => {
  it('escapeHtml escapes markup and quotes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('ticks are round and cover the run', () => {
    expect(ticks(1300)).toEqual([0, 200, 400, 600, 800, 1000, 1200]);
    expect(ticks(45_000).at(-1)).toBe(45_000);
  });
});
