// Figures 1 and 2 of `npm run bench`: drain throughput against OpenSSH `ssh -c aes128-gcm cat > /dev/null`
// on the same instance in the same run, and bbr-ts's peak RSS, for a 1 GiB (and optionally 4 GiB) artifact.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { startFleet, stopFleet } from '../fixtures/fleet/fleet.mjs';
import { activeFleetDirs, BENCH_JOBS, fleetFlags, GiB, MiB, runBbrTs, writeManifest } from './lib.mjs';

const ADDRESS = '127.0.6.1';
const FILES = 4;

/** Starts a one-instance fleet with the `bulk` job, calls body(ctx), always stops the fleet. */
export async function withBulkFleet(body) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-bench-drain-'));
  const fleetDir = path.join(work, 'fleet');
  let fleet;
  try {
    const manifest = await writeManifest(path.join(work, 'manifest.yml'), { name: 'bench-drain', group: 'bulk', job: 'bulk', addresses: [ADDRESS] });
    activeFleetDirs.add(fleetDir);
    fleet = await startFleet({ manifestPath: manifest, rootDir: fleetDir, jobsDir: BENCH_JOBS, seed: false });
    return await body({ fleet, manifest, work });
  } finally {
    await (fleet ? fleet.stop() : stopFleet(fleetDir).catch(() => undefined));
    activeFleetDirs.delete(fleetDir);
    await rm(work, { recursive: true, force: true });
  }
}

/** Writes `totalBytes` of incompressible data as FILES files into the instance's /var/vcap/store/bulk. */
async function prepareArtifact(instanceDir, totalBytes) {
  const dir = path.join(instanceDir, 'store', 'bulk');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const block = randomBytes(16 * MiB);
  for (let f = 0; f < FILES; f++) {
    block.writeUInt32BE(f, 0);
    const out = createWriteStream(path.join(dir, `part-${f}.bin`));
    for (let written = 0; written < totalBytes / FILES; written += block.length) {
      if (!out.write(block)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }
}

/**
 * The baseline: OpenSSH reads the same files with AES-128-GCM and throws them away (or, for the second
 * baseline, writes them to `outFile` on the disk bbr-ts writes to: a fresh file costs page-cache work).
 */
async function opensshCat(fleet, outFile = '/dev/null') {
  const devNull = openSync(outFile, 'w');
  try {
    const started = process.hrtime.bigint();
    const child = spawn('ssh', [
      '-c', 'aes128-gcm@openssh.com',
      '-i', fleet.privateKeyPath,
      '-o', `UserKnownHostsFile=${fleet.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
      '-p', String(fleet.port), `root@${ADDRESS}`,
      'cat /var/vcap/store/bulk/*',
    ], { stdio: ['ignore', devNull, 'inherit'] });
    const [code] = await once(child, 'close');
    if (code !== 0) throw new Error(`baseline ssh exited ${code}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    closeSync(devNull);
    if (outFile !== '/dev/null') await rm(outFile, { force: true });
  }
}

/** One size: best of `repeats` for the baseline and for bbr-ts (the machine is shared; the best run is the least disturbed). */
export async function benchDrainSize({ fleet, manifest, work }, totalBytes, repeats) {
  await prepareArtifact(fleet.instances[0].dir, totalBytes);
  await opensshCat(fleet); // warm the page cache and sshd
  const baselines = [];
  const diskBaselines = [];
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    baselines.push(await opensshCat(fleet));
    diskBaselines.push(await opensshCat(fleet, path.join(work, 'baseline.bin')));
    const artifacts = path.join(work, `artifacts-${i}`);
    await mkdir(artifacts, { recursive: true });
    try {
      const run = await runBbrTs(fleetFlags(fleet, manifest, artifacts, 10));
      if (run.phases.drain === undefined) throw new Error(`no drain duration in bbr-ts output:\n${run.stdout}`);
      runs.push(run);
    } finally {
      await rm(artifacts, { recursive: true, force: true });
    }
  }
  const baselineMs = Math.min(...baselines);
  const diskBaselineMs = Math.min(...diskBaselines);
  const drainMs = Math.min(...runs.map((r) => r.phases.drain));
  const peakRssBytes = Math.max(...runs.map((r) => r.peakRssBytes));
  return { sizeBytes: totalBytes, label: `${totalBytes / GiB} GiB`, baselineMs, diskBaselineMs, drainMs, peakRssBytes, wallMs: Math.min(...runs.map((r) => r.wallMs)) };
}
