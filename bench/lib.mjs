// Shared helpers of `npm run bench`: run the built CLI as an operator would (a subprocess under
// /usr/bin/time for its peak RSS), read phase durations from its plain output, write manifests.
import { execFile as execFileCb, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { startFleet, stopFleet } from '../fixtures/fleet/fleet.mjs';
import { activeLinks } from './net.mjs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const execFile = promisify(execFileCb);
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO_ROOT, 'bin', 'bbr-ts.js');
export const BENCH_JOBS = path.join(REPO_ROOT, 'bench', 'jobs');
const TIME = '/usr/bin/time';

/** Fleet folders in use, so an interrupted bench still stops every sshd it started (see stopFleetsOnSignal). */
export const activeFleetDirs = new Set();
/** Scratch folders in use (gigabytes of instance data), removed by an interrupted bench too. */
const activeWorkDirs = new Set();

let interrupted = false;

/** Throws once the bench was interrupted, so that no figure starts new fleets or links while it is cleaned up. */
export function assertNotInterrupted() {
  if (interrupted) throw new Error('interrupted');
}

export function stopFleetsOnSignal() {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      // From here on the figure being measured fails (its sshd and links go away); its errors must not end the
      // process before everything is removed, and its own cleanup leaves the removal to this handler.
      interrupted = true;
      process.on('uncaughtException', () => undefined);
      process.on('unhandledRejection', () => undefined);
      console.error(`\n${signal}: stopping ${activeFleetDirs.size} fleet(s)...`);
      await Promise.allSettled([...activeFleetDirs].map((dir) => stopFleet(dir)));
      // Namespaces go after their sshds: an emulated link is removed once nothing runs behind it.
      await Promise.allSettled([...activeLinks.values()].map((dispose) => dispose()));
      await Promise.allSettled([...activeWorkDirs].map((dir) => rm(dir, { recursive: true, force: true })));
      process.exit(130);
    });
  }
}

/** GNU time reports the peak RSS of the child; install Debian's `time` when it is missing. */
export async function ensureGnuTime() {
  if (existsSync(TIME)) return;
  console.log('installing the Debian package `time` (for peak RSS)...');
  await execFile('apt-get', ['install', '-y', '-q', 'time'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/**
 * Runs `bbr-ts <args>`; resolves with exit code, wall time, peak RSS and the phase durations
 * ('lock' → ms, ...) printed as `<phase>: finished in <s>s` lines.
 */
export async function runBbrTs(args, extraEnv = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-bench-run-'));
  const timeFile = path.join(dir, 'time');
  try {
    const busyBefore = machineBusyMs();
    const started = process.hrtime.bigint();
    const child = spawn(TIME, ['-f', '%M %U %S', '-o', timeFile, process.execPath, ...profileArgs(), BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...extraEnv, NO_COLOR: '1' },
    });
    const threads = sampleThreadCpu(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    const exitCode = await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpuMs = machineBusyMs() - busyBefore;
    const { mainThreadCpuMs, otherThreadsCpuMs } = threads.stop();
    // GNU time's last line: peak RSS in KiB, then the process's own user and system CPU seconds.
    const [rssKiB, user, system] = ((await readFile(timeFile, 'utf8')).trim().split('\n').pop() ?? '').split(' ').map(Number);
    const processCpuMs = (user + system) * 1000;
    const result = { exitCode, wallMs, cpuMs, processCpuMs, mainThreadCpuMs, otherThreadsCpuMs, peakRssBytes: rssKiB * 1024, phases: parsePhases(stdout), stdout, stderr };
    if (exitCode !== 0) {
      throw new Error(`bbr-ts ${args.join(' ')} exited ${exitCode}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * CPU time of the bbr-ts process's main thread and of its other threads (V8's helpers, libuv's pool, the age
 * sealing worker), from /proc/<pid>/task/<tid>/stat every 100 ms; a thread's last sample counts once it is gone,
 * so up to 100 ms of a thread's time can be missed. `timePid` is GNU time's pid: node is its child.
 */
function sampleThreadCpu(timePid) {
  const last = new Map();
  let nodePid;
  const sample = () => {
    try {
      nodePid ??= Number(readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(' ')[0]) || undefined;
      if (!nodePid) return;
      for (const tid of readdirSync(`/proc/${nodePid}/task`)) {
        // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks.
        const fields = readFileSync(`/proc/${nodePid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
        last.set(tid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS);
      }
    } catch {
      // The process or a thread ended between listing and reading.
    }
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      let main = 0;
      let other = 0;
      for (const [tid, ms] of last) {
        if (Number(tid) === nodePid) main = ms;
        else other += ms;
      }
      return { mainThreadCpuMs: main, otherThreadsCpuMs: other };
    },
  };
}

/** `--cpu-prof DIR` of the bench: every bbr-ts run writes a V8 CPU profile there (open it in Chrome DevTools). */
export const cpuProfile = { dir: undefined };
const profileArgs = () => (cpuProfile.dir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfile.dir}`] : []);

/**
 * CPU time the whole machine spent busy so far (user, nice, system, irq, softirq; /proc/stat, in ms). The fleet's
 * sshd and the instance-side commands are other processes, so only the machine-wide figure counts every end.
 */
export function machineBusyMs() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = fields;
  return ((user + nice + system + irq + softirq) * 1000) / CLOCK_TICKS;
}
// USER_HZ is 100 on every Linux architecture Node runs on.
const CLOCK_TICKS = 100;

/** `[12:00:01] drain: finished in 1.23s` → { drain: 1230 }. */
export function parsePhases(stdout) {
  const phases = {};
  for (const match of stdout.matchAll(/^\[[\d:]+\] ([a-z-]+): finished in ([\d.]+)s/gm)) {
    phases[match[1]] = Number.parseFloat(match[2]) * 1000;
  }
  return phases;
}

/** A BOSH manifest with one instance group, one job and the given static IPs. */
export async function writeManifest(file, { name, group, job, addresses }) {
  const text = [
    `# written by bench/ for npm run bench`,
    `name: ${name}`,
    `instance_groups:`,
    `- name: ${group}`,
    `  instances: ${addresses.length}`,
    `  jobs: [{name: ${job}, release: bench-release}]`,
    `  networks: [{name: default, static_ips: [${addresses.join(', ')}]}]`,
    '',
  ].join('\n');
  await writeFile(file, text);
  return file;
}

export function fleetFlags(fleet, manifest, artifactPath, parallelism) {
  return [
    'deployment',
    '--manifest', manifest,
    '--username', 'root',
    '--private-key-path', fleet.privateKeyPath,
    '--known-hosts', fleet.knownHostsPath,
    '--ssh-port', String(fleet.port),
    '--parallelism', String(parallelism),
    'backup',
    '--artifact-path', artifactPath,
  ];
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const fmtMs = (ms) => `${(ms / 1000).toFixed(2)} s`;
export const fmtMB = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
export const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

/**
 * Writes a one-group manifest, starts it as a fleet in a scratch folder, calls body({ fleet, manifest, work,
 * fleetStartMs }), and always stops the fleet and removes the folder (an interrupted bench too). `netns`
 * (address -> network namespace) puts instances behind an emulated link (net.mjs).
 */
export async function withBenchFleet({ name, group, job, addresses, netns }, body) {
  assertNotInterrupted();
  const work = await mkdtemp(path.join(os.tmpdir(), `bbr-ts-${name}-`));
  activeWorkDirs.add(work);
  const fleetDir = path.join(work, 'fleet');
  let fleet;
  try {
    const manifest = await writeManifest(path.join(work, 'manifest.yml'), { name, group, job, addresses });
    const started = Date.now();
    activeFleetDirs.add(fleetDir);
    fleet = await startFleet({ manifestPath: manifest, rootDir: fleetDir, jobsDir: BENCH_JOBS, seed: false, netns });
    return await body({ fleet, manifest, work, fleetStartMs: Date.now() - started });
  } finally {
    // Once interrupted, the signal handler stops and removes everything.
    if (!interrupted) {
      await (fleet ? fleet.stop() : stopFleet(fleetDir).catch(() => undefined));
      activeFleetDirs.delete(fleetDir);
      await rm(work, { recursive: true, force: true });
      activeWorkDirs.delete(work);
    }
  }
}

/** OpenSSH client arguments for one fleet instance: AES-128-GCM (also BBR's first choice), fleet key, strict host keys. */
export const sshArgs = (fleet, address) => [
  '-c', 'aes128-gcm@openssh.com',
  '-i', fleet.privateKeyPath,
  '-o', `UserKnownHostsFile=${fleet.knownHostsPath}`,
  '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
  '-p', String(fleet.port), `root@${address}`,
];

/** Runs a local command to completion; resolves with its wall time and the machine's CPU time meanwhile. */
export async function timed(file, args, options = {}) {
  const busyBefore = machineBusyMs();
  const started = process.hrtime.bigint();
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'], ...options });
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`${file} ${args.join(' ').slice(0, 200)} exited ${code}`);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: machineBusyMs() - busyBefore };
}

/**
 * Writes `totalBytes` of incompressible data as `files` files into the instance's /var/vcap/store/bulk (what
 * the `bulk` job's backup script hard-links into its artifact). `sameAs`: another instance's vcap dir whose
 * files are copied instead (many instances with the same bytes). Copies, not hard links: the instances' backup
 * scripts link and remove their own names while others read, and GNU tar fails a file whose ctime changed.
 */
export async function writeBulkFiles(instanceDir, totalBytes, files = 4, sameAs) {
  const dir = path.join(instanceDir, 'store', 'bulk');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  if (sameAs) {
    const from = path.join(sameAs, 'store', 'bulk');
    for (const f of await readdir(from)) await copyFile(path.join(from, f), path.join(dir, f), fsConstants.COPYFILE_FICLONE);
    return;
  }
  const block = randomBytes(Math.min(16 * MiB, totalBytes / files));
  for (let f = 0; f < files; f++) {
    block.writeUInt32BE(f, 0);
    const out = createWriteStream(path.join(dir, `part-${f}.bin`));
    const fileBytes = Math.floor(totalBytes / files);
    for (let written = 0; written < fileBytes; written += block.length) {
      if (!out.write(block.subarray(0, fileBytes - written))) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }
}

export const fastest = (list, key) => list.reduce((best, x) => (x[key] < best[key] ? x : best));
