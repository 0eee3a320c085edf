// Issue 18 end to end: --report draws a real run of the example deployment (real sshd instances on
// 127.0.54.21-23) as a self-contained HTML page; headless Chromium lays it out, takes a screenshot and reports
// what it built (rows, bars, locked windows, failures), for a good backup, a failed one, a drill and a
// page redrawn from a saved --summary-json.
import { mkdir, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { findChromium, isPng, reportFacts, screenshot, type ReportFacts } from '../support/browser.js';
import { runBbrTs } from '../support/cli.js';
import { useExampleFleet } from '../support/deployments.js';

let fleet: Fleet;
let flags: string[];

useExampleFleet('127.0.54', (started) => ({ fleet, flags } = started));

const tmp = (prefix: string) => mkdtemp(path.join(os.tmpdir(), `bbr-ts-${prefix}-`));

/** The good backup all tests of the first block look at. */
let good: { dir: string; html: string; json: string; artifact: string; facts: ReportFacts };

beforeAll(async () => {
  // Fail loudly, before any run, when the browser is missing.
  await findChromium();
});

describe('--report of a good backup', () => {
  beforeAll(async () => {
    const dir = await tmp('report');
    const artifacts = path.join(dir, 'artifacts');
    await mkdir(artifacts);
    const html = path.join(dir, 'run.html');
    const json = path.join(dir, 'run.json');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', artifacts, '--summary-json', json, '--report', html]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [name] = await readdir(artifacts);
    good = { dir, html, json, artifact: path.join(artifacts, name!), facts: await reportFacts(html) };
  });

  it('is drawn by a browser: a screenshot of the page', async () => {
    const png = path.join(good.dir, 'run.png');
    await screenshot(good.html, png);
    expect(await isPng(png)).toBe(true);
    expect((await stat(png)).size).toBeGreaterThan(10_000);
  });

  it('has the run header and one row per job, grouped by instance group, in manifest order', async () => {
    const { facts } = good;
    expect(facts).toMatchObject({ status: 'succeeded', exitCode: '0', scripts: 0, eventHandlers: 0, images: 0, summaryRows: 3, textTableRows: 3 });
    expect(facts.title).toMatch(/backup of 'example' succeeded/);
    expect(facts.groups).toEqual(['database', 'web']);
    expect(facts.rows.map((r) => `${r.instance} ${r.job}`)).toEqual(['database/0 database', 'web/0 web-server', 'web/1 web-server']);
    const page = await readFile(good.html, 'utf8');
    expect(page).toContain(path.basename(good.artifact));
    expect(page).toMatch(/<dt>bytes<\/dt><dd>1\.0 MiB \(1075200 bytes in 3 file\(s\)\)/);
  });

  it('draws every step of every job as a visible bar inside its track', () => {
    for (const row of good.facts.rows) {
      expect(row.bars.map((b) => b.kind)).toEqual(['connect', 'metadata', 'lock', 'backup', 'unlock', 'drain']);
      for (const bar of row.bars) {
        expect(bar.widthPx, `${row.label} ${bar.kind}`).toBeGreaterThanOrEqual(3);
        expect(bar.heightPx).toBeGreaterThan(5);
        expect(bar.inTrack, `${row.label} ${bar.kind}`).toBe(true);
        expect(bar.failed).toBe(false);
      }
      expect(row.lockedWidthPx).toBeGreaterThan(3);
    }
  });

  it('shows locked windows in the order of the lock waves: web-server locks first and unlocks last', () => {
    const [database, ...web] = good.facts.rows;
    expect(web.map((r) => r.lockWave)).toEqual([1, 1]);
    expect(database!.lockWave).toBe(2);
    for (const w of web) {
      expect(w.lockedStartMs!).toBeLessThan(database!.lockedStartMs!);
      expect(w.lockedEndMs!).toBeGreaterThan(database!.lockedEndMs!);
      expect(w.lockedEndMs!).toBeGreaterThan(w.lockedStartMs!);
    }
  });

  it('calls out the longest lock and the critical path, as the summary says', async () => {
    const summary = JSON.parse(await readFile(good.json, 'utf8'));
    const longest = good.facts.rows.filter((r) => r.longest);
    expect(longest.map((r) => `${r.instance} ${r.job}`)).toEqual([`${summary.longestLock.instance} ${summary.longestLock.job}`]);
    expect(longest[0]!.label).toContain('longest lock');
    expect(good.facts.longestLock).toContain(`${summary.longestLock.instance} ${summary.longestLock.job}`);
    // One step per phase and per wave, in the order they ran.
    expect(good.facts.criticalPath.map((s) => s.split(/[:,]/)[0])).toEqual([
      'connect', 'check', 'lock wave 1', 'lock wave 2', 'backup', 'unlock wave 1', 'unlock wave 2', 'drain', 'cleanup',
    ]);
    expect(good.facts.criticalPath[2]).toMatch(/^lock wave 1: web\/[01] web-server/);
    expect(good.facts.criticalPath[3]).toMatch(/^lock wave 2: database\/0 database/);
    expect(good.facts.rows.flatMap((r) => r.bars).filter((b) => b.critical).length).toBeGreaterThanOrEqual(6);
    expect(good.facts.failures).toBeNull();
  });

  it('is the same page when drawn later from the saved --summary-json with `bbr-ts report`', async () => {
    const again = path.join(good.dir, 'again.html');
    const result = await runBbrTs(['report', good.json, '--html', again]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${again}: 3 row(s), succeeded`);
    // Only the footer (which names the summary file it was drawn from) differs.
    const footerless = (file: string) => readFile(file, 'utf8').then((t) => t.replace(/<footer[\s\S]*<\/footer>/, ''));
    expect(await footerless(again)).toBe(await footerless(good.html));
    expect(await reportFacts(again)).toEqual(good.facts);
  });

  it('draws a drill from that backup: upload, lock, restore and unlock per job', async () => {
    const html = path.join(good.dir, 'drill.html');
    const result = await runBbrTs(['deployment', ...flags, 'drill', '-a', good.artifact, '--verify', 'true', '--report', html]);
    expect(result.exitCode, result.stderr).toBe(0);
    const facts = await reportFacts(html);
    expect(facts.status).toBe('succeeded');
    for (const row of facts.rows) expect(row.bars.map((b) => b.kind)).toEqual(['connect', 'metadata', 'upload', 'lock', 'restore', 'unlock']);
    // Restore scripts run one after another: every one of them is on the critical path.
    expect(facts.criticalPath.filter((s) => s.startsWith('restore:'))).toHaveLength(3);
    expect(facts.criticalPath.at(-1)).toMatch(/^drill-verify/);
  });
});

describe('--report of a failed backup', () => {
  it('shows the failed job in red with its message, escaped, on hover and in text', async () => {
    const message = '<script>document.title="owned"</script> disk <b>full</b>';
    await fleet.setFault('database/0', 'database', 'backup', `echo '${message}' >&2; exit 1`);
    const dir = await tmp('report-failed');
    const html = path.join(dir, 'failed.html');
    const json = path.join(dir, 'failed.json');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', dir, '--summary-json', json, '--report', html]);
    expect(result.exitCode).toBe(1);
    await screenshot(html, path.join(dir, 'failed.png'));
    expect(await isPng(path.join(dir, 'failed.png'))).toBe(true);

    const facts = await reportFacts(html);
    expect(facts).toMatchObject({ status: 'failed', exitCode: '1', scripts: 0, eventHandlers: 0, images: 0 });
    expect(facts.title).toMatch(/FAILED \(exit code 1\)/);
    const database = facts.rows.find((r) => r.job === 'database')!;
    expect(database.failed).toBe(true);
    expect(database.label).toContain('FAILED');
    const failedBars = database.bars.filter((b) => b.failed);
    expect(failedBars.map((b) => b.kind)).toEqual(['backup']);
    // The hover text and the failures section carry the message as text, markup and all.
    expect(failedBars[0]!.title).toContain(message);
    expect(facts.failures).toContain(message);
    // Unlock still ran for every job, so every locked window closed; nothing was drained.
    for (const row of facts.rows) {
      expect(row.bars.map((b) => b.kind)).toEqual(['connect', 'metadata', 'lock', 'backup', 'unlock']);
      expect(row.lockedEndMs).not.toBeNull();
    }
    expect(facts.rows.filter((r) => r.failed).map((r) => r.job)).toEqual(['database']);
  });

  it('shows an instance whose metadata script failed: its row, the failed bar and the error', async () => {
    await fleet.setFault('web/1', 'web-server', 'metadata', `echo 'metadata is <broken>' >&2; exit 1`);
    const dir = await tmp('report-metadata');
    const html = path.join(dir, 'failed.html');
    const json = path.join(dir, 'failed.json');
    const result = await runBbrTs(['deployment', ...flags, 'backup', '-a', dir, '--summary-json', json, '--report', html]);
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(await readFile(json, 'utf8'));
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'BBR_METADATA', message: expect.stringMatching(/web\/1[\s\S]*metadata is <broken>/) })]);

    const facts = await reportFacts(html);
    expect(facts).toMatchObject({ status: 'failed', scripts: 0 });
    const web1 = facts.rows.find((r) => r.instance === 'web/1')!;
    expect(web1).toMatchObject({ job: null, failed: true });
    expect(web1.bars.map((b) => [b.kind, b.failed])).toEqual([['connect', false], ['metadata', true]]);
    expect(web1.bars[1]!.title).toContain('metadata is <broken>');
    expect(facts.failures).toContain('metadata is <broken>');
    // The other instances were discovered and nothing was locked.
    expect(facts.rows.filter((r) => r.instance !== 'web/1').map((r) => [r.instance, r.failed, r.bars.map((b) => b.kind)])).toEqual([
      ['database/0', false, ['connect', 'metadata']],
      ['web/0', false, ['connect', 'metadata']],
    ]);
  });
});
