// The fleet's `netns` option (issue 17's bench): instances whose sshd runs inside a network namespace behind a
// shaped veth link (bench/net.mjs, 198.18.120.0/24, namespace bbrb-e2e), reached by bbr-ts from the root
// namespace; without the option such an address is refused.
import { readlinkSync, statSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { createShapedLink, linkSentBytes } from '../../bench/net.mjs';
import { runBbrTs } from '../support/cli.js';
import { fleetFlags, tempArtifactsDir } from '../support/deployments.js';

let link: Awaited<ReturnType<typeof createShapedLink>>;
let fleet: Fleet | undefined;
let work: string;
let manifest: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-netns-'));
  link = await createShapedLink({ name: 'e2e', k: 56, rateBits: 1e9, instances: 2 });
  manifest = path.join(work, 'manifest.yml');
  await writeFile(
    manifest,
    `name: linked\ninstance_groups:\n- name: web\n  instances: 2\n  jobs: [{name: web-server, release: example-release}]\n  networks: [{name: default, static_ips: [${link.addresses.join(', ')}]}]\n`,
  );
});
afterAll(async () => {
  await fleet?.stop();
  await link?.dispose();
  await rm(work, { recursive: true, force: true });
});

it('refuses an address outside 127.x that has no network namespace', async () => {
  await expect(startFleet({ manifestPath: manifest, rootDir: path.join(work, 'refused') })).rejects.toThrow(/only uses 127\.x\.x\.x loopback/);
});

it('runs each sshd inside its network namespace, reachable over the link', async () => {
  const netns = Object.fromEntries(link.addresses.map((a) => [a, link.netnsName]));
  fleet = await startFleet({ manifestPath: manifest, netns });
  const linkNamespace = statSync(`/run/netns/${link.netnsName}`).ino;
  for (const instance of fleet.instances) {
    const ns = readlinkSync(`/proc/${instance.pid}/ns/net`);
    expect(ns, instance.name).toBe(`net:[${linkNamespace}]`);
    expect(ns).not.toBe(readlinkSync('/proc/self/ns/net'));
  }
  const sentBefore = await linkSentBytes(link);
  const artifacts = await tempArtifactsDir();
  const result = await runBbrTs(['deployment', ...fleetFlags(fleet, manifest), 'backup', '-a', artifacts]);
  expect(result.exitCode, result.stdout + result.stderr).toBe(0);
  expect(await linkSentBytes(link)).toBeGreaterThan(sentBefore);

  await fleet.stop();
  for (const instance of fleet.instances) expect(instance.isRunning()).toBe(false);
  await link.dispose();
  expect(existsSync(`/run/netns/${link.netnsName}`)).toBe(false);
});
