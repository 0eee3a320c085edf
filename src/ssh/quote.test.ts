import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteShellArg, shellCommand } from './quote.js';

// Runs the quoted line through a real /bin/sh and returns what printf saw, so quoting is proven, not assumed.
function echoThroughShell(words: string[]): string[] {
  const line = shellCommand(['printf', '%s\\0', ...words]);
  const out = execFileSync('/bin/sh', ['-c', line]).toString();
  return out.split('\0').slice(0, -1);
}

describe('quoteShellArg', () => {
  it('leaves safe words alone', () => {
    expect(quoteShellArg('/var/vcap/jobs/redis/bin/bbr/backup')).toBe('/var/vcap/jobs/redis/bin/bbr/backup');
  });

  it('quotes empty strings', () => {
    expect(quoteShellArg('')).toBe("''");
  });

  it('survives hostile values in a real shell', () => {
    const hostile = ["a b", "it's", '$(touch /tmp/pwned)', '`id`', 'x; rm -rf /', '"q"', '\\', 'new\nline', '*'];
    expect(echoThroughShell(hostile)).toEqual(hostile);
  });
});
