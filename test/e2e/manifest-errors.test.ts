// Issue 2: every manifest and credential mistake gets a one-line error naming the file, the instance group and
// what to fix; exit 1 and never a stack trace. These need no instances: bbr-ts stops before connecting.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBbrTs } from '../support/cli.js';

let dir: string;
let key: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-manifest-errors-'));
  key = path.join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', key]);
  await writeFile(path.join(dir, 'known_hosts'), '');
});

async function runWith(manifestText: string | undefined, extra: string[] = []) {
  const file = path.join(dir, `m-${Math.random().toString(36).slice(2)}.yml`);
  if (manifestText !== undefined) await writeFile(file, manifestText);
  return runBbrTs(['deployment', '--manifest', file, '-u', 'root', '--key', key, '--known-hosts', path.join(dir, 'known_hosts'), ...extra, 'pre-backup-check']);
}

function expectOneLineError(result: { exitCode: number; stderr: string }, pattern: RegExp) {
  expect(result.exitCode).toBe(1);
  const [count, error] = result.stderr.split('\n');
  expect(count).toBe('1 error(s) occurred:');
  expect(error).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const GOOD_GROUP = `
- name: web
  instances: 2
  jobs: [{name: web-server, release: example-release}]
  networks: [{name: default, static_ips: [127.0.9.1, 127.0.9.2]}]`;

describe('manifest errors', () => {
  it('a missing file', async () => {
    expectOneLineError(await runWith(undefined), /manifest file not found: .*\.yml/);
  });

  it('bad YAML', async () => {
    expectOneLineError(await runWith('name: x\ninstance_groups: [\n  - {name: a'), /\.yml: .*(YAML|yaml).*line \d+/i);
  });

  it('fewer addresses than instances, naming the group and what to add', async () => {
    const text = `name: x\ninstance_groups:${GOOD_GROUP.replace('127.0.9.1, 127.0.9.2', '127.0.9.1')}\n`;
    expectOneLineError(await runWith(text), /instance group 'web' has 2 instances but only 1 static_ips.*add 1 more address/);
  });

  it('a key of the wrong type', async () => {
    const text = `name: x\ninstance_groups:${GOOD_GROUP.replace('instances: 2', 'instances: two')}\n`;
    expectOneLineError(await runWith(text), /instance group 'web'.*instances/);
  });

  it('a missing name', async () => {
    expectOneLineError(await runWith(`instance_groups:${GOOD_GROUP}\n`), /name/);
  });
});

describe('credential errors', () => {
  it('a private key of an unknown type', async () => {
    const bad = path.join(dir, 'not-a-key');
    await writeFile(bad, '-----BEGIN UNKNOWN KEY-----\nAAAA\n-----END UNKNOWN KEY-----\n');
    const result = await runBbrTs(['deployment', '--manifest', path.join(dir, 'x.yml'), '-u', 'root', '--key', bad, 'pre-backup-check']);
    expect(result.exitCode).toBe(1);
    // The manifest is read first; write a good one so the key is what fails.
    const manifest = path.join(dir, 'good.yml');
    await writeFile(manifest, `name: x\ninstance_groups:${GOOD_GROUP}\n`);
    const keyed = await runBbrTs(['deployment', '--manifest', manifest, '-u', 'root', '--key', bad, 'pre-backup-check']);
    expectOneLineError(keyed, /cannot use private key .*not-a-key/);
    expect(keyed.stderr).toMatch(/next step: use an unencrypted OpenSSH or PEM private key/);
  });

  it('missing required flags', async () => {
    const result = await runBbrTs(['deployment', 'backup']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/pass --manifest FILE \(instances at static IPs\) or --target DIRECTOR/);
    const keyless = await runBbrTs(['deployment', '--manifest', 'deploy.yml', 'backup']);
    expect(keyless.stderr).toMatch(/Missing required arguments with --manifest: username, private-key-path/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
