// The final summary table printed after a run: one row per job, the longest lock window marked so that
// operators tuning lock order and backup scripts see at once which job kept its users waiting longest.
import { styleText } from 'node:util';
import { escapeLine } from './escape.js';
import { formatBytes, seconds } from './plain-lines.js';
import { hasJobActivity, type RunSummary } from './summary.js';

export const LONGEST_LOCK_MARK = '<= longest lock';

export function formatSummaryTable(summary: RunSummary, options: { color?: boolean } = {}): string {
  // Colour is decided once (a terminal, no NO_COLOR); styleText's own check would also drop it whenever CI is set.
  const paint = (format: Parameters<typeof styleText>[0], text: string) => (options.color ? styleText(format, text, { validateStream: false }) : text);
  const lines: string[] = [];
  // Names come from the manifest and instances: escaped before they are padded or coloured.
  const what = escapeLine(`${summary.operation ?? 'run'}${summary.dryRun ? ' (dry run)' : ''}${summary.deployment ? ` of '${summary.deployment}'` : ''}`);
  const verdict = summary.status === 'succeeded' ? paint('green', 'succeeded') : paint(['red', 'bold'], `FAILED (exit code ${summary.exitCode})`);
  lines.push(`Summary: ${what} ${verdict}${summary.durationMs === undefined ? '' : ` in ${seconds(summary.durationMs)}`}`);
  if (hasJobActivity(summary)) {
    const restoring = summary.operation === 'restore' || summary.operation === 'drill';
    const mainLabel = restoring ? 'restore' : 'backup';
    const transferLabel = restoring ? 'upload' : 'drain';
    const header = ['instance', 'job', 'locked', mainLabel, transferLabel, 'size', 'result'];
    const dash = '-';
    const rows = summary.jobs.map((job) => [
      job.instance,
      job.job,
      job.lockedMs === undefined ? dash : seconds(job.lockedMs),
      job.backupMs ?? job.restoreMs ?? undefined,
      job.drainMs ?? job.uploadMs,
      job.artifactBytes === undefined ? dash : formatBytes(job.artifactBytes),
      job.result === 'failed' ? `failed (${job.failedScripts.join(', ')})` : job.result,
    ].map((cell) => (cell === undefined ? dash : typeof cell === 'number' ? seconds(cell) : escapeLine(cell))));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const pad = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    lines.push(paint('bold', pad(header)));
    summary.jobs.forEach((job, i) => {
      let line = pad(rows[i]!);
      const longest = summary.longestLock && summary.longestLock.instance === job.instance && summary.longestLock.job === job.job;
      if (longest) line = `${line}  ${paint(['yellow', 'bold'], LONGEST_LOCK_MARK)}`;
      if (job.result !== 'ok') line = paint('red', line);
      lines.push(line);
    });
  }
  if (summary.longestLock) {
    const { instance, job, durationMs } = summary.longestLock;
    lines.push(`Longest lock: ${escapeLine(`${instance} ${job}`)}, ${paint('bold', seconds(durationMs))} (its users saw downtime for this long)`);
  }
  if (summary.drill) {
    const { passed, restoreMs, verifyMs, verifiedOn, verifyExitCode } = summary.drill;
    const verdict = passed ? paint('green', 'PASSED') : paint(['red', 'bold'], 'FAILED');
    const check = verifyMs === undefined ? 'verification not run' : `verification on ${escapeLine(String(verifiedOn))} ${seconds(verifyMs)} (exit status ${verifyExitCode ?? 'none'})`;
    lines.push(`Drill: ${verdict}; time to restore ${paint('bold', seconds(restoreMs))} (compare with your recovery-time objective), ${check}`);
  }
  if (summary.skippedArtifacts) {
    lines.push(`Skipped ${summary.skippedArtifacts.length} artifact(s) of the backup that no job restores from:`);
    for (const skipped of summary.skippedArtifacts) lines.push(escapeLine(`  ${skipped.file}: ${skipped.reason}`));
  }
  if (summary.artifactPath) {
    const files = summary.jobs.filter((j) => j.artifactFile !== undefined).length;
    // A backup that failed only in unlock or cleanup is complete: say so where the operator reads the verdict.
    const complete = summary.status !== 'succeeded' && summary.artifactComplete ? '; complete and restorable' : '';
    lines.push(`Artifact: ${escapeLine(summary.artifactPath)} (${files} file(s), ${formatBytes(summary.artifactBytes)}${complete})`);
  }
  return lines.join('\n') + '\n';
}
