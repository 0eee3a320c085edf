// Writes manifests for e2e tests. Each test file uses its own 127.0.x.y range so files can run in parallel.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.mjs';
import { REPO_ROOT } from './cli.js';

export const EXAMPLE_MANIFEST = path.join(REPO_ROOT, 'fixtures', 'example', 'manifest.yml');

/**
 * The example deployment's manifest with its 127.0.0.21-23 addresses moved to `<subnet>.21-23`
 * (e.g. subnet '127.0.3'), written to a temp folder.
 */
export async function exampleManifestOn(subnet: string, dir?: string): Promise<string> {
  const text = await readFile(EXAMPLE_MANIFEST, 'utf8');
  const moved = text.replaceAll('127.0.0.', `${subnet}.`);
  const folder = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-manifest-')));
  const file = path.join(folder, 'manifest.yml');
  await writeFile(file, moved);
  return file;
}

export interface ExampleFleet {
  fleet: Fleet;
  manifest: string;
  /** Connection flags for `bbr-ts deployment` against this fleet. */
  flags: string[];
}

/** Starts the example deployment as real sshd instances on `<subnet>.21-23:2222`. */
export async function startExampleFleet(subnet: string): Promise<ExampleFleet> {
  const manifest = await exampleManifestOn(subnet);
  const fleet = await startFleet({ manifestPath: manifest });
  return { fleet, manifest, flags: fleetFlags(fleet, manifest) };
}

export function fleetFlags(fleet: Fleet, manifest: string): string[] {
  return [
    '--manifest', manifest,
    '--username', 'root',
    '--private-key-path', fleet.privateKeyPath,
    '--known-hosts', fleet.knownHostsPath,
    '--ssh-port', String(fleet.port),
  ];
}

/**
 * The lifecycle most e2e files share: start the example fleet once for the file (handing it to `onStart`),
 * give every test clean event logs and no faults, stop the fleet at the end.
 */
export function useExampleFleet(subnet: string, onStart: (started: ExampleFleet) => unknown): void {
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    const started = await startExampleFleet(subnet);
    fleet = started.fleet;
    await onStart(started);
  });
  afterAll(async () => {
    await fleet?.stop();
  });
  beforeEach(async () => {
    await fleet!.clearEvents();
    await fleet!.clearFaults();
  });
}

/** A fresh local folder for artifacts (under the run's TMPDIR, removed with it). */
export function tempArtifactsDir(prefix = 'bbr-ts-artifacts-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}
