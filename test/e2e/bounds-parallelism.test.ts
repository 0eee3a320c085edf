// Issue 11 item 4 (while there): at --parallelism above 10, each running remote command listens on the run's
// abort signal, and Node must not print a MaxListenersExceededWarning into the operator's output. Twelve real
// sshd instances on 127.0.39.21-32 whose metadata scripts all run at once.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { fleetFlags } from '../support/deployments.js';

const INSTANCES = 12;
let fleet: Fleet;
let flags: string[];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-parallel-'));
  const manifest = path.join(dir, 'manifest.yml');
  const ips = Array.from({ length: INSTANCES }, (_, i) => `127.0.39.${21 + i}`);
  await writeFile(
    manifest,
    [
      'name: wide',
      'instance_groups:',
      '- name: web',
      `  instances: ${INSTANCES}`,
      '  jobs: [{name: web-server, release: example-release}]',
      `  networks: [{name: default, static_ips: [${ips.join(', ')}]}]`,
      '',
    ].join('\n'),
  );
  fleet = await startFleet({ manifestPath: manifest });
  flags = fleetFlags(fleet, manifest);
});

afterAll(async () => {
  await fleet?.stop();
});

describe('--parallelism above 10', () => {
  it('runs twelve remote commands at once without a MaxListenersExceededWarning', async () => {
    // Each metadata script waits, so all twelve are running (and listening on the run's signal) together.
    for (const instance of fleet.instances) await fleet.setFault(instance.name, 'web-server', 'metadata', 'sleep 3');
    const result = await runBbrTs(['deployment', ...flags, '--parallelism', '20', 'pre-backup-check']);

    expect(result.exitCode).toBe(0);
    expect(result.stderr).not.toMatch(/MaxListenersExceededWarning|memory leak/i);
    expect(result.stderr).toBe('');
  });
});
