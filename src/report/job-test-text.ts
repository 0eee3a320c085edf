// Renders a `bbr-ts job test` report for people: one line per check, grouped by kind, with the output of
// every contract-run step and of a failing metadata script (its last lines), and the next step for each problem.
import type { CheckResult, CheckStatus, JobTestReport } from '../release-check/types.js';
import { escapeLine } from './escape.js';

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };
const OUTPUT_LINES = 10;

export function formatJobTestReport(report: JobTestReport): string {
  const lines = [`job test of '${report.job}' (${report.jobDir})`];
  for (const kind of ['lint', 'run'] as const) {
    const checks = report.checks.filter((c) => c.kind === kind);
    if (checks.length === 0) continue;
    lines.push('', kind === 'lint' ? 'Lint:' : 'Contract run:');
    if (kind === 'run' && report.scratch) lines.push(`  $BBR_ARTIFACT_DIRECTORY was ${report.scratch.artifactDirectory}`, `  (${report.scratch.reason})`);
    for (const check of checks) lines.push(...formatCheck(check));
  }
  const count = (status: CheckStatus) => report.checks.filter((c) => c.status === status).length;
  lines.push('', `${report.passed ? 'PASSED' : 'FAILED'}: ${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warning(s), ${count('skip')} skipped`);
  if (report.scratch?.kept) lines.push(`scratch folder kept at ${report.scratch.kept}`);
  // Script output and names are shown as they were, control characters escaped: one escaped line per line.
  return lines.map(escapeLine).join('\n') + '\n';
}

function formatCheck(check: CheckResult): string[] {
  const lines = [`  ${LABEL[check.status]}  ${check.message}`];
  const output = check.step?.output.trimEnd();
  // Every step of the contract run shows its output; a lint check only when its script failed (metadata).
  if (output && (check.kind === 'run' || check.status === 'fail')) {
    const tail = output.split('\n').slice(-OUTPUT_LINES);
    lines.push('        output:', ...tail.map((line) => `          ${line}`));
  }
  if (check.hint && (check.status === 'fail' || check.status === 'warn')) lines.push(`        next step: ${check.hint}`);
  return lines;
}
