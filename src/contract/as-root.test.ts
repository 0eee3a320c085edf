import { describe, expect, it } from 'vitest';
import { asRoot, asRootShell } from './as-root.js';
import { classifyScriptPaths } from './discover-scripts.js';
import { scriptPath } from './paths.js';

describe('asRoot', () => {
  it('runs directly as root and through non-interactive sudo otherwise', () => {
    expect(asRoot({ needsSudo: false }, ['rm', '-rf', '/var/vcap/store/bbr-backup'])).toBe('rm -rf /var/vcap/store/bbr-backup');
    expect(asRoot({ needsSudo: true }, ['rm', '-rf', '/var/vcap/store/bbr-backup'])).toBe('sudo -n rm -rf /var/vcap/store/bbr-backup');
  });

  it('quotes script paths so job names cannot inject commands', () => {
    const line = asRoot({ needsSudo: true }, [scriptPath('x;id', 'backup')]);
    expect(line).toBe("sudo -n '/var/vcap/jobs/x;id/bin/bbr/backup'");
  });

  it('passes shell programs as one argument with positional parameters', () => {
    expect(asRootShell({ needsSudo: false }, 'cd "$1" && ls', ['/tmp/a b'])).toBe("sh -c 'cd \"$1\" && ls' sh '/tmp/a b'");
  });
});

describe('classifyScriptPaths', () => {
  it('keeps known scripts, ignores unknown names, legacy mysql jobs and error lines', () => {
    const jobs = classifyScriptPaths([
      '/var/vcap/jobs/redis/bin/bbr/backup',
      '/var/vcap/jobs/redis/bin/bbr/restore',
      '/var/vcap/jobs/redis/bin/bbr/helper.sh',
      '/var/vcap/jobs/mysql-backup/bin/bbr/backup',
      '/var/vcap/jobs/broker/bin/bbr/metadata',
      "find: '/var/vcap/jobs/*/bin/bbr/*': No such file or directory",
    ]);
    expect(jobs.map((j) => [j.name, [...j.scripts].sort()])).toEqual([
      ['broker', ['metadata']],
      ['redis', ['backup', 'restore']],
    ]);
  });
});
