// Figures 3 and 4 of `npm run bench`: 100 real sshd instances whose `sleepy` job takes 0.2 s to lock, back up
// and unlock. Wall time is compared with the ideal schedule, and the 10/50/100-instance scaling table is built
// on the same fleet (smaller manifests name the first N instances).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { connect, loadCredentials } from '../dist/ssh/index.js';
import { fleetFlags, runBbrTs, withBenchFleet, writeManifest } from './lib.mjs';

export const SCRIPT_MS = 200;
/** pre-backup-lock, backup and post-backup-unlock each sleep SCRIPT_MS. */
const SCRIPTS_PER_JOB = 3;

export const addressOf = (i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** Starts `count` instances with the sleepy job, calls body(ctx), always stops the fleet. */
export function withSleepyFleet(count, body) {
  const addresses = Array.from({ length: count }, (_, i) => addressOf(i));
  return withBenchFleet({ name: 'bench-fanout', group: 'node', job: 'sleepy', addresses }, body);
}

/**
 * The ideal: one lock wave (no lock-order constraints), so each of lock, backup and unlock is
 * ceil(instances / parallelism) rounds of SCRIPT_MS, with zero cost for SSH, scheduling and bookkeeping.
 */
export function idealMs(instances, parallelism) {
  return SCRIPTS_PER_JOB * Math.ceil(instances / parallelism) * SCRIPT_MS;
}

/** Backs up the first `instances` instances of the fleet with `parallelism`; returns the measured figures. */
export async function benchFanout({ fleet, work }, instances, parallelism) {
  const manifest = await writeManifest(path.join(work, `manifest-${instances}.yml`), {
    name: `bench-fanout-${instances}`,
    group: 'node',
    job: 'sleepy',
    addresses: Array.from({ length: instances }, (_, i) => addressOf(i)),
  });
  const artifacts = path.join(work, `artifacts-${instances}-${parallelism}`);
  await mkdir(artifacts, { recursive: true });
  try {
    const run = await runBbrTs(fleetFlags(fleet, manifest, artifacts, parallelism));
    const p = run.phases;
    for (const phase of ['connect', 'lock', 'backup', 'unlock', 'drain', 'cleanup']) {
      if (p[phase] === undefined) throw new Error(`no '${phase}' duration in bbr-ts output:\n${run.stdout}`);
    }
    const scriptsMs = p.lock + p.backup + p.unlock;
    return {
      instances,
      parallelism,
      wallMs: run.wallMs,
      connectMs: p.connect,
      scriptsMs,
      idealMs: idealMs(instances, parallelism),
      drainMs: p.drain,
      cleanupMs: p.cleanup,
      // The connect phase (connect + discover + metadata) spread over the instances it served in parallel.
      overheadPerInstanceMs: (p.connect * Math.min(parallelism, instances)) / instances,
      peakRssBytes: run.peakRssBytes,
    };
  } finally {
    await rm(artifacts, { recursive: true, force: true });
  }
}

const SCRIPT_DIR = '/var/vcap/jobs/sleepy/bin/bbr';

/**
 * This machine's floor for the same schedule: connect to every instance `parallelism` at a time, then run the
 * same three scripts as bare commands over those connections, `parallelism` at a time per phase, with no
 * wrapper, no process group, no events and no bookkeeping. What remains over the ideal is SSH itself (a key
 * exchange per connection, an sshd session and a login shell per command) and the scripts' own processes, all
 * on the cores the instances share.
 */
export async function benchSshFloor({ fleet }, instances, parallelism) {
  const credentials = await loadCredentials({ username: 'root', privateKeyPath: fleet.privateKeyPath, knownHostsPath: fleet.knownHostsPath });
  const connecting = pLimit(parallelism);
  const connectStarted = process.hrtime.bigint();
  const shells = await Promise.all(
    Array.from({ length: instances }, (_, i) =>
      connecting(() => connect({ instance: `node/${i}`, host: addressOf(i), port: fleet.port, credentials, connectTimeoutMs: 30_000 })),
    ),
  );
  const connectMs = Number(process.hrtime.bigint() - connectStarted) / 1e6;
  try {
    const started = process.hrtime.bigint();
    for (const command of [
      `${SCRIPT_DIR}/pre-backup-lock`,
      `BBR_ARTIFACT_DIRECTORY=/var/vcap/store/bench-floor/sleepy ${SCRIPT_DIR}/backup`,
      `${SCRIPT_DIR}/post-backup-unlock`,
    ]) {
      const limit = pLimit(parallelism);
      const results = await Promise.all(shells.map((shell) => limit(() => shell.exec(command))));
      const failed = results.find((r) => r.exitCode !== 0);
      if (failed) throw new Error(`ssh floor: ${command} exited ${failed.exitCode}: ${failed.stderrTail}`);
    }
    return { connectMs, scriptsMs: Number(process.hrtime.bigint() - started) / 1e6 };
  } finally {
    for (const shell of shells) shell.close();
  }
}
