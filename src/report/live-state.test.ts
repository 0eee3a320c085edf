import { describe, expect, it } from 'vitest';
import { LiveState } from './live-state.js';

describe('LiveState', () => {
  it('shows each instance group, the step of each instance and drain progress with rate and ETA', () => {
    const state = new LiveState();
    state.apply({ type: 'run-started', operation: 'backup', deployment: 'd', instances: 2, runId: 'r', instanceNames: ['db/0', 'web/0'] }, 0);
    state.apply({ type: 'instance-connected', instance: 'db/0', address: 'a', durationMs: 1 }, 100);
    state.apply({ type: 'instance-discovered', instance: 'db/0', jobs: ['db'], durationMs: 1 }, 200);
    state.apply({ type: 'phase-started', phase: 'drain' }, 1000);
    state.apply({ type: 'transfer-started', direction: 'drain', instance: 'db/0', job: 'db', file: 'db.tar', totalBytes: 4 * 1024 * 1024 }, 1000);
    state.apply({ type: 'transfer-progress', direction: 'drain', instance: 'db/0', job: 'db', bytes: 1024 * 1024 }, 2000);
    expect(state.frame(2000).split('\n')).toEqual([
      "backup of 'd'  0:02  drain",
      'db',
      '  db/0   drain     db  1.0 MiB / 4.0 MiB  25%  1.0 MiB/s  ETA 0:03',
      'web',
      '  web/0  connect',
    ]);
    state.apply({ type: 'transfer-finished', direction: 'drain', instance: 'db/0', job: 'db', file: 'db.tar', bytes: 4 * 1024 * 1024, files: 1, durationMs: 2500 }, 3500);
    state.apply({ type: 'script-started', instance: 'web/0', job: 'web', script: 'pre-backup-lock' }, 3500);
    state.apply({ type: 'script-finished', instance: 'web/0', job: 'web', script: 'pre-backup-lock', durationMs: 1, error: undefined }, 3600);
    expect(state.frame(3600).split('\n').slice(2)).toEqual(['  db/0   drain     db  4.0 MiB in 2.50s', 'web', '  web/0  lock      web  lock']);
  });

  it('shows names from instances escaped, aligned by their escaped width', () => {
    const state = new LiveState();
    state.apply({ type: 'run-started', operation: 'backup', deployment: 'd\x1b[2J', instances: 2, runId: 'r', instanceNames: ['db/0', 'web\r/0'] }, 0);
    state.apply({ type: 'instance-discovered', instance: 'db/0', jobs: ['evil\x1b]0;pwned\x07'], durationMs: 1 }, 0);
    expect(state.frame(0).split('\n')).toEqual([
      "backup of 'd\\x1b[2J'  0:00  ",
      'db',
      '  db/0     ready     evil\\x1b]0;pwned\\x07',
      'web\\r',
      '  web\\r/0  connect',
    ]);
  });
});
