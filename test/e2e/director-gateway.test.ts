// Issue 15, the gateway: the instances live in their own network namespace (198.18.128.21-23), which the
// namespace bbr-ts runs in has no route to. The only way in is a jumpbox sshd in that namespace (198.18.129.2),
// on a veth link whose other end (198.18.129.1) is ours; the stand-in director listens there. With
// BOSH_ALL_PROXY, every SSH connection and every director request must go through the jumpbox.
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { runBbrTs } from '../support/cli.js';
import { startStandInDirector, type StandInDirector } from '../support/director.js';
import { EXAMPLE_MANIFEST, tempArtifactsDir } from '../support/deployments.js';

const NS = 'bbrd-gw';
const HOST_END = 'bbrd-gwh';
const NS_END = 'bbrd-gwn';
const INSTANCES = ['198.18.128.21', '198.18.128.22', '198.18.128.23'];
const JUMPBOX = '198.18.129.2';
const OURS = '198.18.129.1';
// Without this route our namespace would send the instances' addresses out of the machine on the default route.
const HIDDEN = '198.18.128.0/24';

let instances: Fleet;
let jumpbox: Fleet;
let director: StandInDirector;
let manifest: string;
let proxy: string;
let knownHosts: string;

async function removeNetwork(): Promise<void> {
  await execa('ip', ['route', 'del', 'unreachable', HIDDEN], { reject: false });
  await execa('ip', ['netns', 'del', NS], { reject: false });
  await execa('ip', ['link', 'del', HOST_END], { reject: false });
}

beforeAll(async () => {
  await removeNetwork();
  const ip = (...args: string[]) => execa('ip', args);
  await ip('route', 'add', 'unreachable', HIDDEN);
  await ip('netns', 'add', NS);
  await ip('-n', NS, 'link', 'set', 'lo', 'up');
  for (const address of INSTANCES) await ip('-n', NS, 'addr', 'add', `${address}/32`, 'dev', 'lo');
  await ip('link', 'add', HOST_END, 'type', 'veth', 'peer', 'name', NS_END);
  await ip('link', 'set', NS_END, 'netns', NS);
  await ip('addr', 'add', `${OURS}/30`, 'dev', HOST_END);
  await ip('link', 'set', HOST_END, 'up');
  await ip('-n', NS, 'addr', 'add', `${JUMPBOX}/30`, 'dev', NS_END);
  await ip('-n', NS, 'link', 'set', NS_END, 'up');
  await ip('-n', NS, 'route', 'add', 'default', 'via', OURS);

  const dir = await tempArtifactsDir('bbr-ts-gateway-');
  manifest = path.join(dir, 'manifest.yml');
  const manifestText = (await readFile(EXAMPLE_MANIFEST, 'utf8')).replaceAll('127.0.0.', '198.18.128.');
  await writeFile(manifest, manifestText);
  instances = await startFleet({ manifestPath: manifest, netns: Object.fromEntries(INSTANCES.map((a) => [a, NS])) });
  const jumpboxManifest = path.join(dir, 'jumpbox.yml');
  await writeFile(jumpboxManifest, `name: jumpbox\ninstance_groups:\n- name: jumpbox\n  instances: 1\n  jobs: [{name: database, release: none}]\n  networks: [{name: default, static_ips: [${JUMPBOX}]}]\n`);
  jumpbox = await startFleet({ manifestPath: jumpboxManifest, netns: { [JUMPBOX]: NS }, seed: false });
  director = await startStandInDirector({
    address: OURS,
    auth: { type: 'basic', user: 'admin', password: 'director-secret' },
    deployments: { example: { fleet: instances, manifestText } },
  });
  proxy = `ssh+socks5://root@${JUMPBOX}:${jumpbox.port}?private-key=${jumpbox.privateKeyPath}`;
  // The jumpbox's key and the instances' keys in one file (--known-hosts serves both).
  knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, (await readFile(jumpbox.knownHostsPath, 'utf8')) + (await readFile(instances.knownHostsPath, 'utf8')));
}, 120_000);

afterAll(async () => {
  await director?.stop();
  await instances?.stop();
  await jumpbox?.stop();
  await removeNetwork();
});

beforeEach(async () => {
  await instances.clearEvents();
  director.requests.length = 0;
});

const directorFlags = () => ['deployment', '--target', director.url, '--username', 'admin', '--deployment', 'example', '--ca-cert', director.caPath, '--known-hosts', knownHosts];
const env = () => ({ BOSH_CLIENT_SECRET: 'director-secret', BOSH_ALL_PROXY: proxy });

describe('through a jumpbox (BOSH_ALL_PROXY)', () => {
  it('the instances cannot be reached without it', async () => {
    const reached = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: INSTANCES[0]!, port: instances.port });
      socket.setTimeout(3000, () => (socket.destroy(), resolve(false)));
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    expect(reached).toBe(false);
  });

  it('director mode: the director\'s HTTPS and every instance SSH connection go through the jumpbox', async () => {
    const result = await runBbrTs([...directorFlags(), 'backup', '-a', await tempArtifactsDir()], { env: env() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await instances.events('database/0')).map((e) => e.script)).toEqual(['metadata', 'pre-backup-lock', 'backup', 'post-backup-unlock']);
    expect(director.requests.length).toBeGreaterThan(0);
    expect(new Set(director.requests.map((r) => r.remoteAddress))).toEqual(new Set([JUMPBOX]));
    expect(await director.usersLeft()).toEqual([]);
  });

  it('manifest mode: --gateway with the operator\'s key', async () => {
    const result = await runBbrTs([
      'deployment', '--manifest', manifest, '--username', 'root', '--private-key-path', instances.privateKeyPath,
      '--known-hosts', knownHosts, '--ssh-port', String(instances.port), '--gateway', proxy, 'pre-backup-check',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('a gateway that refuses the key: a clear error, nothing set up or locked', async () => {
    const result = await runBbrTs([...directorFlags(), 'backup', '-a', await tempArtifactsDir()], {
      env: { ...env(), BOSH_ALL_PROXY: proxy.replace(jumpbox.privateKeyPath, instances.privateKeyPath) },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`cannot connect to the gateway root@${JUMPBOX.replaceAll('.', '\\.')}:${jumpbox.port}: it refused the key`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(director.requests).toEqual([]);
    expect(await instances.events('database/0')).toEqual([]);
  });

  it('a gateway whose host key is not in known_hosts is refused', async () => {
    const result = await runBbrTs([...directorFlags().map((f) => (f === knownHosts ? instances.knownHostsPath : f)), 'pre-backup-check'], { env: env() });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/host key of the gateway at 198\.18\.129\.2:2222 is unknown/);
    expect(director.requests).toEqual([]);
  });
});
