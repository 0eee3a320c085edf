// Figures 5 to 7 of `npm run bench`: drains over emulated links (net.mjs), where an operator's drain is bounded:
// a 1 or 10 Gbit link between jumpbox and VMs, many instances draining at once through one jumpbox link, and
// BBR's own command sequence for the same deployment next to bbr-ts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { assertNotInterrupted, fastest, fleetFlags, GiB, machineBusyMs, runBbrTs, sshArgs, timed, withBenchFleet, writeBulkFiles } from './lib.mjs';
import { createShapedLink, linkSentBytes } from './net.mjs';

const STORE = '/var/vcap/store/bulk';
export const gbit = (rateBits) => `${rateBits / 1e9} Gbit`;
/** The drain's payload rate a link can carry: tbf counts whole Ethernet frames, TCP carries 1448 of every 1514 bytes. */
export const payloadBytesPerSecond = (rateBits) => (rateBits / 8) * (1448 / 1514);

/**
 * Creates a shaped link with `instances` addresses behind it, starts the `bulk` job's fleet there, calls
 * body({ fleet, manifest, work, link }); always stops the fleet, then removes the link.
 */
export async function withLinkFleet({ name, k, rateBits, instances }, body) {
  assertNotInterrupted();
  const link = await createShapedLink({ name, k, rateBits, instances });
  try {
    const netns = Object.fromEntries(link.addresses.map((a) => [a, link.netnsName]));
    return await withBenchFleet(
      { name: `bench-${name}`, group: 'bulk', job: 'bulk', addresses: link.addresses, netns },
      (ctx) => body({ ...ctx, link }),
    );
  } finally {
    await link.dispose();
  }
}

/** The same bytes on every instance: written into the first, copied into the others. */
async function writeSameBulkFiles(fleet, bytesPerInstance) {
  const [first, ...rest] = fleet.instances;
  await writeBulkFiles(first.dir, bytesPerInstance);
  for (const inst of rest) await writeBulkFiles(inst.dir, bytesPerInstance, 4, first.dir);
}

/** `ssh cat` of every instance's files at once, to /dev/null; wall time and machine CPU of the whole set. */
async function sshCatAll(fleet, addresses) {
  const devNull = openSync('/dev/null', 'w');
  const busyBefore = machineBusyMs();
  const started = process.hrtime.bigint();
  try {
    await Promise.all(addresses.map((a) => timed('ssh', [...sshArgs(fleet, a), `cat ${STORE}/*`], { stdio: ['ignore', devNull, 'inherit'] })));
  } finally {
    closeSync(devNull);
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: machineBusyMs() - busyBefore };
}

/** Counts the bytes `ssh cat` delivers (once per figure: the link carries exactly the files, nothing is cut). */
async function sshCatBytes(fleet, address) {
  const child = spawn('ssh', [...sshArgs(fleet, address), `cat ${STORE}/*`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout.on('data', (chunk) => (bytes += chunk.length));
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`ssh cat on ${address} exited ${code}`);
  return bytes;
}

/** One bbr-ts backup of the fleet's deployment; its artifact folder is removed afterwards. */
async function bbrTsBackup({ fleet, manifest, work }, parallelism, extraArgs = []) {
  const artifacts = path.join(work, `artifacts-${Date.now()}`);
  await mkdir(artifacts, { recursive: true });
  try {
    const run = await runBbrTs([...fleetFlags(fleet, manifest, artifacts, parallelism), ...extraArgs]);
    if (run.phases.drain === undefined) throw new Error(`no drain duration in bbr-ts output:\n${run.stdout}`);
    return { ...run, drainMs: run.phases.drain };
  } finally {
    await rm(artifacts, { recursive: true, force: true });
  }
}

/** Fails the figure when the link was not shaped: `ssh cat` must not beat the link's payload rate by much. */
function checkShaped(label, bytes, ms, rateBits) {
  const rate = bytes / (ms / 1000);
  if (rate > payloadBytesPerSecond(rateBits) * 1.05) {
    throw new Error(`${label}: ssh cat moved ${(rate / 1e6).toFixed(0)} MB/s over a ${gbit(rateBits)} link: the link is not shaped`);
  }
}

/**
 * Figure 5: one instance, 1 GiB (4 files), behind a 1 and a 10 Gbit link. bbr-ts's drain phase against `ssh cat`
 * of the same files over the same link (to /dev/null, the target's baseline; and into a file, which adds what
 * writing 1 GiB costs this machine); best of `repeats` each.
 */
export async function benchLinkDrain(rateBits, k, repeats) {
  return withLinkFleet({ name: `l${rateBits / 1e9}`, k, rateBits, instances: 1 }, async (ctx) => {
    const { fleet, link } = ctx;
    const size = 1 * GiB;
    await writeBulkFiles(fleet.instances[0].dir, size);
    const address = link.addresses[0];
    const sentBefore = await linkSentBytes(link);
    const delivered = await sshCatBytes(fleet, address); // also warms the page cache and sshd
    if (delivered !== size) throw new Error(`ssh cat delivered ${delivered} bytes, expected ${size}`);
    if ((await linkSentBytes(link)) - sentBefore < size) throw new Error('the bytes did not cross the shaped link');
    const cats = [];
    const toFiles = [];
    const runs = [];
    const file = path.join(ctx.work, 'cat.out');
    for (let i = 0; i < repeats; i++) {
      cats.push(await sshCatAll(fleet, [address]));
      toFiles.push(await timed('sh', ['-c', `ssh ${sshArgs(fleet, address).join(' ')} 'cat ${STORE}/*' > ${file}`]));
      await rm(file, { force: true });
      runs.push(await bbrTsBackup(ctx, 10));
    }
    const cat = fastest(cats, 'ms');
    const toFile = fastest(toFiles, 'ms');
    const run = fastest(runs, 'drainMs');
    if (rateBits <= 1e9) checkShaped('link drain', size, cat.ms, rateBits);
    return {
      rateBits, link: gbit(rateBits), bytes: size,
      sshCatMs: cat.ms, sshCatCpuMs: cat.cpuMs, sshCatToFileMs: toFile.ms, sshCatToFileCpuMs: toFile.cpuMs, drainMs: run.drainMs, runCpuMs: run.cpuMs, bbrTsProcessCpuMs: run.processCpuMs, wallMs: run.wallMs,
      ratio: run.drainMs / cat.ms, linkMs: (size / payloadBytesPerSecond(rateBits)) * 1000,
    };
  });
}

/**
 * Figure 6: `count` instances x `bytesEach` behind ONE shaped link, drained in parallel by one bbr-ts backup.
 * Aggregate throughput as a share of the link's payload rate, next to `count` parallel `ssh cat`s; machine CPU
 * busy share says whether the cores or the link were the bottleneck.
 */
export async function benchManyInstances(rateBits, k, count, bytesEach, repeats) {
  return withLinkFleet({ name: `m${rateBits / 1e9}`, k, rateBits, instances: count }, async (ctx) => {
    const { fleet, link } = ctx;
    await writeSameBulkFiles(fleet, bytesEach);
    await sshCatAll(fleet, link.addresses); // warm-up
    const cats = [];
    const runs = [];
    for (let i = 0; i < repeats; i++) {
      cats.push(await sshCatAll(fleet, link.addresses));
      runs.push(await bbrTsBackup(ctx, Math.max(10, count)));
    }
    const cat = fastest(cats, 'ms');
    const run = fastest(runs, 'drainMs');
    const total = count * bytesEach;
    if (rateBits <= 1e9) checkShaped('many instances', total, cat.ms, rateBits);
    const linkRate = payloadBytesPerSecond(rateBits);
    const cores = os.cpus().length;
    return {
      rateBits, link: gbit(rateBits), instances: count, bytesEach, bytes: total,
      sshCatMs: cat.ms, drainMs: run.drainMs, wallMs: run.wallMs, bbrTsProcessCpuMs: run.processCpuMs,
      linkMs: (total / linkRate) * 1000,
      sshCatShare: total / (cat.ms / 1000) / linkRate,
      drainShare: total / (run.drainMs / 1000) / linkRate,
      drainMBps: total / 1e6 / (run.drainMs / 1000),
      // Whole-run CPU (the drain is nearly all of it) as a share of all cores for the run's wall time.
      cpuBusyShare: run.cpuMs / (run.wallMs * cores),
      sshCatCpuBusyShare: cat.cpuMs / (cat.ms * cores),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Figure 7: BBR's own command sequence, reproduced with OpenSSH and shell tools as BBR issues it (read from
// cloudfoundry/bosh-backup-and-restore: ssh/remote_runner.go, ssh/connection.go, instance/job_finder.go,
// instance/job.go, orchestrator/deployment.go, orchestrator/backup_download_executable.go,
// backup/backup_directory.go, executor/parallel.go). Every remote command is a new SSH connection
// (connection.go runInSession dials per command), with AES-128-GCM (x/crypto/ssh's first cipher). Not
// reproduced: the BOSH director's API calls and `bosh ssh` user setup, which would only add to BBR's time.

const BBR_ARTIFACT_ROOT = '/var/vcap/store/bbr-backup';

/** One remote command over a fresh `ssh` process; resolves with its stdout, rejects on a non-zero exit unless allowed. */
async function bbrRemote(fleet, address, command, { allowFailure = false, stdoutFile } = {}) {
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
  try {
    const child = spawn('ssh', [...sshArgs(fleet, address), command], { stdio: ['ignore', out, 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    const [code] = await once(child, 'close');
    if (code !== 0 && !allowFailure) throw new Error(`BBR sequence: \`${command}\` on ${address} exited ${code}: ${stderr.trim()}`);
    return { code, stdout };
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

/** BBR's local checksum (backup_directory.go CalculateChecksum): read the written tar, SHA-256 of every file entry. */
async function localTarChecksums(tarFile) {
  const child = spawn('tar', ['-x', '-f', tarFile, '--to-command', 'h=$(openssl dgst -sha256 -r | cut -c1-64); echo "$h $TAR_FILENAME"'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`local checksum of ${tarFile}: tar exited ${code}`);
  return parseShaLines(stdout);
}

/** `<hex> <name>` or shasum's `<hex>  <name>` lines → { name: hex } (remote_runner.go convertShasToMap). */
function parseShaLines(text) {
  const map = {};
  for (const line of text.split('\n').filter(Boolean)) map[line.slice(64).trim()] = line.slice(0, 64);
  return map;
}

/** The whole `bbr deployment backup` sequence for a fleet whose instances each run the `bulk` job (no lock scripts). */
export async function bbrSequence(fleet, addresses, localDir) {
  const job = 'bulk';
  const jobDir = `${BBR_ARTIFACT_ROOT}/${job}`;
  const started = process.hrtime.bigint();
  const busyBefore = machineBusyMs();
  // Discovery, one instance after another (bosh/client.go, instance/job_finder.go): OS check, script list.
  // The bulk job has no metadata script, so no metadata call.
  for (const a of addresses) {
    await bbrRemote(fleet, a, 'echo %OS%');
    await bbrRemote(fleet, a, `sudo sh -c 'find /var/vcap/jobs/*/bin/bbr/* -type f'`);
  }
  // Backupable step: artifact directory check on every instance, in turn (orchestrator/deployment.go).
  for (const a of addresses) {
    const { code } = await bbrRemote(fleet, a, `sudo stat ${BBR_ARTIFACT_ROOT}`, { allowFailure: true });
    if (code === 0) throw new Error(`BBR sequence: ${BBR_ARTIFACT_ROOT} already exists on ${a}`);
  }
  // No pre-backup-lock scripts. Backup: every job in one batch, 10 in flight (executor/parallel.go).
  const ten = pLimit(10);
  await Promise.all(addresses.map((a) => ten(async () => {
    await bbrRemote(fleet, a, `sudo mkdir -p ${jobDir}/`);
    await bbrRemote(fleet, a, `sudo ARTIFACT_DIRECTORY=${jobDir}/ BBR_ARTIFACT_DIRECTORY=${jobDir}/ /var/vcap/jobs/${job}/bin/bbr/backup`);
  })));
  // No post-backup-unlock scripts. Drain: every artifact in one batch, 10 in flight (backup_download_executable.go).
  await Promise.all(addresses.map((a, i) => ten(async () => {
    const tarFile = path.join(localDir, `bulk-${i}-${job}.tar`);
    await bbrRemote(fleet, a, `sudo du -sh ${jobDir}`);
    await bbrRemote(fleet, a, `sudo du -s ${jobDir}`);
    await bbrRemote(fleet, a, `sudo tar -C ${jobDir} -c .`, { stdoutFile: tarFile });
    const local = await localTarChecksums(tarFile);
    const remote = parseShaLines((await bbrRemote(fleet, a, `sudo sh -c 'cd ${jobDir} && find . -type f | xargs shasum -a 256'`)).stdout);
    const names = Object.keys(remote);
    if (names.length === 0 || names.length !== Object.keys(local).length || names.some((n) => remote[n] !== local[n])) {
      throw new Error(`BBR sequence: checksums of ${a} disagree:\n${JSON.stringify({ local, remote })}`);
    }
    await bbrRemote(fleet, a, `sudo rm -rf ${jobDir}`);
  })));
  // Cleanup, one instance after another (cleanup_step.go).
  for (const a of addresses) await bbrRemote(fleet, a, `sudo rm -rf ${BBR_ARTIFACT_ROOT}`);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: machineBusyMs() - busyBefore };
}

/**
 * Figure 7: `count` instances x `bytesEach` behind one 1 Gbit link; BBR's sequence against one whole bbr-ts backup
 * (process start to exit), best of `repeats` each.
 */
export async function benchBbrSideBySide(rateBits, k, count, bytesEach, repeats) {
  return withLinkFleet({ name: `b${rateBits / 1e9}`, k, rateBits, instances: count }, async (ctx) => {
    const { fleet, link, work } = ctx;
    await writeSameBulkFiles(fleet, bytesEach);
    const bbrs = [];
    const runs = [];
    for (let i = 0; i < repeats; i++) {
      const local = path.join(work, `bbr-${i}`);
      await mkdir(local, { recursive: true });
      try {
        bbrs.push(await bbrSequence(fleet, link.addresses, local));
      } finally {
        await rm(local, { recursive: true, force: true });
      }
      runs.push(await bbrTsBackup(ctx, 10));
    }
    const bbr = fastest(bbrs, 'ms');
    const run = fastest(runs, 'wallMs');
    const total = count * bytesEach;
    return {
      rateBits, link: gbit(rateBits), instances: count, bytesEach, bytes: total,
      bbrMs: bbr.ms, bbrCpuMs: bbr.cpuMs, bbrTsMs: run.wallMs, bbrTsCpuMs: run.cpuMs, bbrTsDrainMs: run.drainMs,
      ratio: run.wallMs / bbr.ms,
      // Neither can beat the link: the best ratio any tool could reach against this BBR time.
      linkMs: (total / payloadBytesPerSecond(rateBits)) * 1000,
    };
  });
}
