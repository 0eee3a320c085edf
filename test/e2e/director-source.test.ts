// Issue 15: BBR's deployment mode. The instances come from a (stand-in) BOSH director, which sets up a temporary
// SSH user with a key bbr-ts generated, on the real sshd fleet (127.0.66.21-23); the director listens on
// 127.0.66.10. The fleet's own key is never passed to bbr-ts: a backup only works if the director really
// installed the generated key, and the host keys come from the director alone.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs, startBbrTs } from '../support/cli.js';
import { startStandInDirector, type StandInDirector } from '../support/director.js';
import { startExampleFleet, tempArtifactsDir } from '../support/deployments.js';
import { waitForEvent } from '../support/faults.js';

let fleet: Fleet;
let director: StandInDirector;
let flags: string[];
let manifestText: string;
const env = { BOSH_CLIENT_SECRET: 'director-secret' };

beforeAll(async () => {
  const started = await startExampleFleet('127.0.66');
  fleet = started.fleet;
  manifestText = await readFile(started.manifest, 'utf8');
  director = await startStandInDirector({
    address: '127.0.66.10',
    auth: { type: 'basic', user: 'admin', password: 'director-secret' },
    deployments: { example: { fleet, manifestText } },
  });
  flags = ['deployment', '--target', director.url, '--username', 'admin', '--deployment', 'example', '--ca-cert', director.caPath];
});

afterAll(async () => {
  await director?.stop();
  await fleet?.stop();
});

beforeEach(async () => {
  await fleet.clearEvents();
  await fleet.clearFaults();
  for (const key of Object.keys(director.faults)) delete director.faults[key as keyof typeof director.faults];
  director.requests.length = 0;
});

const sshRequests = () => director.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/ssh')).map((r) => JSON.parse(r.body) as { command: string; target: { job: string }; params: Record<string, string> });

async function scriptsRun(): Promise<string[]> {
  const all: string[] = [];
  for (const instance of fleet.instances) all.push(...(await fleet.events(instance.name)).map((e) => `${instance.name} ${e.script}`));
  return all;
}

describe('deployment mode with a director (--target)', () => {
  let artifact: string;

  it('backs up through a temporary SSH user the director sets up, and removes it afterwards', async () => {
    const target = await tempArtifactsDir();
    const result = await runBbrTs([...flags, 'backup', '--with-manifest', '-a', target], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    const [dir] = await readdir(target);
    artifact = path.join(target, dir!);
    expect(dir).toMatch(/^example_\d{8}T\d{6}Z$/);
    expect((await readdir(artifact)).sort()).toEqual(['database-0-database.tar', 'manifest.yml', 'metadata', 'web-0-web-server.tar', 'web-1-web-server.tar']);
    expect(await readFile(path.join(artifact, 'manifest.yml'), 'utf8')).toMatch(/^name: example$/m);
    // One setup per instance group with one fresh user and key, then a cleanup of exactly that user per group.
    const ssh = sshRequests();
    expect(ssh.map((r) => `${r.command} ${r.target.job}`)).toEqual(['setup database', 'setup web', 'cleanup database', 'cleanup web']);
    const user = ssh[0]!.params.user!;
    expect(user).toMatch(/^bosh_[0-9a-f]{15}$/);
    expect(ssh[1]!.params.user).toBe(user);
    expect(ssh[0]!.params.public_key).toMatch(/^ssh-rsa \S+\n$/);
    expect(ssh[2]!.params.user_regex).toBe(`^${user}$`);
    expect(await director.usersLeft()).toEqual([]);
    // Basic auth on every request but /info.
    expect(director.requests.filter((r) => r.path !== '/info').every((r) => r.authorization?.startsWith('Basic '))).toBe(true);
  });

  it('restores that backup through a new temporary user', async () => {
    expect(artifact).toBeDefined();
    const result = await runBbrTs([...flags, 'restore', '-a', artifact], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await fleet.events('database/0')).map((e) => e.script)).toEqual(['metadata', 'pre-restore-lock', 'restore', 'post-restore-unlock']);
    expect(sshRequests().map((r) => r.command)).toEqual(['setup', 'setup', 'cleanup', 'cleanup']);
    expect(await director.usersLeft()).toEqual([]);
  });

  it('takes BBR\'s environment variables instead of flags', async () => {
    const result = await runBbrTs(['deployment', 'pre-backup-check'], {
      env: { BOSH_ENVIRONMENT: director.url.replace('https://', ''), BOSH_CLIENT: 'admin', BOSH_CLIENT_SECRET: 'director-secret', BOSH_DEPLOYMENT: 'example', BOSH_CA_CERT: await readFile(director.caPath, 'utf8') },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await director.usersLeft()).toEqual([]);
  });

  it('backup-cleanup and restore-cleanup work the same way', async () => {
    for (const verb of ['backup-cleanup', 'restore-cleanup']) {
      const result = await runBbrTs([...flags, verb], { env });
      expect(result.exitCode, result.stderr).toBe(0);
    }
    expect((await fleet.events('database/0')).map((e) => e.script)).toEqual(['metadata', 'post-backup-unlock', 'metadata', 'post-restore-unlock']);
    expect(sshRequests().map((r) => r.command)).toEqual(['setup', 'setup', 'cleanup', 'cleanup', 'setup', 'setup', 'cleanup', 'cleanup']);
    expect(await director.usersLeft()).toEqual([]);
  });

  it('removes the user after Ctrl-C too', async () => {
    await fleet.setFault('database/0', 'database', 'backup', 'sleep 6066');
    const run = startBbrTs([...flags, 'backup', '-a', await tempArtifactsDir()], { env });
    await waitForEvent(fleet, 'database/0', (e) => e.script === 'backup');
    run.kill('SIGINT');
    const result = await run;
    expect(result.exitCode).not.toBe(0);
    expect((await fleet.events('database/0')).map((e) => e.script)).toContain('post-backup-unlock');
    expect(sshRequests().map((r) => r.command)).toEqual(['setup', 'setup', 'cleanup', 'cleanup']);
    expect(await director.usersLeft()).toEqual([]);
  });
});

describe('director faults: a clear error, nothing locked, no user left behind', () => {
  async function expectNothingLocked(): Promise<void> {
    expect((await scriptsRun()).filter((s) => !s.endsWith(' metadata'))).toEqual([]);
    expect(await director.usersLeft()).toEqual([]);
  }

  it('wrong password (401)', async () => {
    const result = await runBbrTs([...flags, 'backup', '-a', await tempArtifactsDir()], { env: { BOSH_CLIENT_SECRET: 'wrong' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/refused the credentials of 'admin' \(401/);
    expect(result.stderr).toMatch(/next step: check --username\/--password/);
    expect(sshRequests()).toEqual([]);
    await expectNothingLocked();
  });

  it('unknown deployment', async () => {
    const result = await runBbrTs([...flags.map((f) => (f === 'example' ? 'nosuch' : f)), 'backup', '-a', await tempArtifactsDir()], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/deployment 'nosuch' does not exist on the director/);
    expect(sshRequests()).toEqual([]);
  });

  it('director unreachable', async () => {
    const result = await runBbrTs([...flags.map((f) => (f === director.url ? 'https://127.0.66.11:25555' : f)), 'backup'], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/BOSH director unreachable at https:\/\/127\.0\.66\.11:25555/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a CA that does not match the director is refused', async () => {
    const result = await runBbrTs([...flags.filter((f, i) => f !== '--ca-cert' && flags[i - 1] !== '--ca-cert'), 'pre-backup-check'], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/BOSH director unreachable .*certificate/);
  });

  it('ssh setup task ending in error: the group set up so far is cleaned up', async () => {
    director.faults.setupFailsFor = 'web';
    const result = await runBbrTs([...flags, 'backup', '-a', await tempArtifactsDir()], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/director task \d+ \(POST \/deployments\/example\/ssh\) ended in state 'error'/);
    expect(sshRequests().map((r) => `${r.command} ${r.target.job}`)).toEqual(['setup database', 'setup web', 'cleanup database', 'cleanup web']);
    expect(await scriptsRun()).toEqual([]);
    expect(await director.usersLeft()).toEqual([]);
  });

  it('an instance without an IP', async () => {
    director.faults.noIpFor = 'web/1';
    const result = await runBbrTs([...flags, 'backup', '-a', await tempArtifactsDir()], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/the director reported no IP address for web\/[0-9a-f-]{36}/);
    expect(await scriptsRun()).toEqual([]);
    expect(await director.usersLeft()).toEqual([]);
  });

  it('an instance whose host key differs from the one the director reported', async () => {
    director.faults.wrongHostKeyFor = 'web/1';
    const result = await runBbrTs([...flags, 'backup', '-a', await tempArtifactsDir()], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/host key of web\/1 at 127\.0\.66\.23:2222 differs from the one the BOSH director reported/);
    await expectNothingLocked();
  });

  it('a user that cannot be removed is named, with the command that removes it', async () => {
    director.faults.cleanupFails = true;
    const result = await runBbrTs([...flags, 'pre-backup-check'], { env });
    expect(result.exitCode).toBe(16);
    expect(result.stderr).toMatch(/could not remove the temporary SSH user (bosh_[0-9a-f]{15}) from instance group database/);
    const user = /temporary SSH user (bosh_[0-9a-f]{15})/.exec(result.stderr)![1]!;
    expect((await director.usersLeft()).length).toBe(3);
    const command = new RegExp(`BOSH_CLIENT_SECRET=\\.\\.\\. (bbr-ts deployment .*remove-ssh-user --user ${user})`).exec(result.stderr);
    expect(command, result.stderr).not.toBeNull();
    director.faults.cleanupFails = false;
    const args = command![1]!.split(' ').slice(1).map((a) => a.replace(/^'|'$/g, ''));
    const removed = await runBbrTs(args, { env });
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(await director.usersLeft()).toEqual([]);
  });
});

describe('a director with UAA', () => {
  let uaa: StandInDirector;
  let uaaFlags: string[];

  beforeAll(async () => {
    uaa = await startStandInDirector({
      address: '127.0.66.10',
      port: 25556,
      // Each token works for 4 requests: it runs out in the middle of every run, as an expired token would.
      auth: { type: 'uaa', clientId: 'bbr-client', secret: 'client-secret', tokenLifetimeS: 600, maxTokenUses: 4, users: { operator: 'user-password' } },
      deployments: { example: { fleet, manifestText } },
    });
    uaaFlags = ['deployment', '--target', uaa.url, '--deployment', 'example', '--ca-cert', uaa.caPath];
  });

  afterAll(async () => {
    await uaa?.stop();
  });

  it('client credentials; a token that stops working mid-run is renewed and the request resent', async () => {
    const result = await runBbrTs([...uaaFlags, '--username', 'bbr-client', 'backup', '-a', await tempArtifactsDir()], { env: { BOSH_CLIENT_SECRET: 'client-secret' } });
    expect(result.exitCode, result.stderr).toBe(0);
    const grants = uaa.tokensIssued();
    expect(grants.length).toBeGreaterThan(1);
    expect(new Set(grants)).toEqual(new Set(['client_credentials']));
    // The director did refuse an expired token, and the run went on.
    expect(uaa.requests.some((r) => r.status === 401 && r.authorization?.startsWith('bearer '))).toBe(true);
    expect(uaa.requests.filter((r) => r.path !== '/info' && !r.path.startsWith('/uaa/')).every((r) => r.authorization?.startsWith('bearer '))).toBe(true);
    expect(await uaa.usersLeft()).toEqual([]);
  });

  it('a UAA user (password grant), renewed with its refresh token', async () => {
    uaa.requests.length = 0;
    const before = uaa.tokensIssued().length;
    const result = await runBbrTs([...uaaFlags, '--username', 'operator', 'pre-backup-check'], { env: { BOSH_CLIENT_SECRET: 'user-password' } });
    expect(result.exitCode, result.stderr).toBe(0);
    const grants = uaa.tokensIssued().slice(before);
    expect(grants[0]).toBe('password');
    expect(grants.slice(1)).toContain('refresh_token');
    expect(grants.filter((g) => g === 'password')).toHaveLength(1);
    expect(await uaa.usersLeft()).toEqual([]);
  });

  it('UAA refusing the credentials: a clear error before anything is set up', async () => {
    uaa.requests.length = 0;
    const result = await runBbrTs([...uaaFlags, '--username', 'bbr-client', 'backup', '-a', await tempArtifactsDir()], { env: { BOSH_CLIENT_SECRET: 'wrong' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/UAA refused a token for client or user 'bbr-client': status 401/);
    expect(uaa.requests.filter((r) => r.path.endsWith('/ssh'))).toEqual([]);
  });
});
