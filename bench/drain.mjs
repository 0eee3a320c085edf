// Figures 1 and 2 of `npm run bench`: drain throughput against OpenSSH `ssh -c aes128-gcm cat > /dev/null`
// (the issue's baseline) and against the same work done by OpenSSH and native tools (this machine's floor), on
// the same instance in the same run, and bbr-ts's peak RSS, for a 1 GiB (and optionally 4 GiB) artifact.
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fastest, fleetFlags, GiB, runBbrTs, sshArgs as sshArgsTo, timed, withBenchFleet, writeBulkFiles } from './lib.mjs';

// BENCH_DRAIN_ADDRESS moves the instance (e.g. onto a subnet of one's own while another bench runs).
const ADDRESS = process.env.BENCH_DRAIN_ADDRESS ?? '127.0.6.1';
const FILES = 4;
const STORE = '/var/vcap/store/bulk';

/** Starts a one-instance fleet with the `bulk` job, calls body(ctx), always stops the fleet. */
export function withBulkFleet(body) {
  return withBenchFleet({ name: 'bench-drain', group: 'bulk', job: 'bulk', addresses: [ADDRESS] }, body);
}

const sshArgs = (fleet) => sshArgsTo(fleet, ADDRESS);

/** The issue's baseline: OpenSSH reads the same files with AES-128-GCM and throws them away. */
async function opensshCat(fleet) {
  const devNull = openSync('/dev/null', 'w');
  try {
    return await timed('ssh', [...sshArgs(fleet), `cat ${STORE}/*`], { stdio: ['ignore', devNull, 'inherit'] });
  } finally {
    closeSync(devNull);
  }
}

/**
 * The same work as a bbr-ts drain done by OpenSSH and native tools, as a floor for this machine: the instance
 * hashes every file with `openssl dgst` while `tar` streams them, and locally the stream is written to the
 * artifact disk and every entry hashed with `openssl dgst` (GNU tar --to-command). Both hash lists must agree.
 */
async function nativeSameWork(fleet, work) {
  const dir = path.join(work, 'native');
  await mkdir(dir, { recursive: true });
  try {
    const remote = `cd ${STORE} && { find . -type f -exec openssl dgst -sha256 -r {} + >&2 & tar -c .; wait; }`;
    const pipeline = [
      `ssh ${sshArgs(fleet).map((a) => `'${a}'`).join(' ')} '${remote}' 2>remote.sums`,
      `tee artifact.tar`,
      `tar -x -f - --to-command='openssl dgst -sha256 -r' >local.sums`,
    ].join(' | ');
    const result = await timed('bash', ['-o', 'pipefail', '-c', pipeline], { cwd: dir });
    const hashes = async (file) => (await readFile(path.join(dir, file), 'utf8')).split('\n').filter(Boolean).map((l) => l.slice(0, 64)).sort();
    const [remoteHashes, localHashes] = [await hashes('remote.sums'), await hashes('local.sums')];
    if (remoteHashes.length !== FILES || remoteHashes.join() !== localHashes.join()) {
      throw new Error(`native same-work baseline: hashes disagree\n${remoteHashes.join('\n')}\n--\n${localHashes.join('\n')}`);
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One size: best of `repeats` for each baseline and for bbr-ts (the machine is shared; the best run is the least disturbed). */
export async function benchDrainSize({ fleet, manifest, work }, totalBytes, repeats) {
  await writeBulkFiles(fleet.instances[0].dir, totalBytes, FILES);
  await opensshCat(fleet); // warm the page cache and sshd
  const baselines = [];
  const natives = [];
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    baselines.push(await opensshCat(fleet));
    natives.push(await nativeSameWork(fleet, work));
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
  const baseline = fastest(baselines, 'ms');
  const native = fastest(natives, 'ms');
  const run = fastest(runs.map((r) => ({ ...r, drainMs: r.phases.drain })), 'drainMs');
  return {
    sizeBytes: totalBytes,
    label: `${totalBytes / GiB} GiB`,
    baselineMs: baseline.ms,
    baselineCpuMs: baseline.cpuMs,
    nativeMs: native.ms,
    nativeCpuMs: native.cpuMs,
    drainMs: run.drainMs,
    // Machine CPU of the whole bbr-ts run (connect, scripts and drain); the drain is nearly all of it.
    runCpuMs: run.cpuMs,
    peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
    wallMs: Math.min(...runs.map((r) => r.wallMs)),
  };
}
