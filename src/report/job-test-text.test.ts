import { describe, expect, it } from 'vitest';
import { formatJobTestReport } from './job-test-text.js';

describe('formatJobTestReport', () => {
  it('shows a script\'s output line by line with its control characters escaped', () => {
    const text = formatJobTestReport({
      job: 'db\x1b[2J',
      jobDir: '/jobs/db',
      passed: false,
      checks: [
        {
          kind: 'run',
          check: 'backup-exit',
          status: 'fail',
          script: 'backup',
          message: 'backup exited with status 1',
          hint: 'fix it',
          step: { durationMs: 1, exitCode: 1, signal: null, timedOut: false, output: 'one\n\x1b]0;pwned\x07\x1b[2J All good\r\n\u202eevil', env: {} },
        },
      ],
    });
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(text).toContain("job test of 'db\\x1b[2J'");
    expect(text).toContain('          one\n          \\x1b]0;pwned\\x07\\x1b[2J All good\\r\n          \\u{202e}evil\n');
  });
});
