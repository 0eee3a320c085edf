// A slow artifact disk for figure 11: an ext4 file system on a loop device whose writes are throttled to a
// rate (cgroup v1 blkio throttle, a rule for this device only) with a small per-device dirty limit (the bdi's
// strict_limit and max_bytes, Linux 6.2+), so the kernel throttles the writer in balance_dirty_pages as on a
// real slow disk (NFS, a busy SAN) instead of letting gigabytes of page cache hide it. Root only.
//
// The file system is mounted only inside a private mount namespace of the process that measures (`unshare
// -m`): a mount in the root namespace would be copied into every mount namespace created meanwhile (each fleet
// instance's sshd runs in one) and would keep the loop device busy until they exit. dispose() resets the
// throttle and detaches the device; removeStaleSlowDisk() removes what a bench killed with SIGKILL left.
import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { activeLinks } from './net.mjs';

const execFile = promisify(execFileCb);
// One fixed place, so that a later run finds and removes what an interrupted one left.
const ROOT = path.join(os.tmpdir(), 'bbr-ts-bench-slow-disk');
const IMAGE = path.join(ROOT, 'disk.img');
const MOUNT = path.join(ROOT, 'mnt');
const THROTTLE = '/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device';

/** Why a slow disk cannot be built here, or undefined when it can. */
export async function slowDiskMissing() {
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync(THROTTLE)) return `no cgroup v1 blkio write throttle (${THROTTLE})`;
  for (const tool of ['losetup', 'mkfs.ext4', 'unshare', 'lsblk']) {
    if (!(await execFile('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false))) return `${tool} is missing`;
  }
  const bdis = await readdir('/sys/class/bdi').catch(() => []);
  if (!bdis.some((b) => existsSync(`/sys/class/bdi/${b}/max_bytes`))) return 'no per-device dirty limits (/sys/class/bdi/*/max_bytes, Linux 6.2+)';
  return undefined;
}

async function devicesOfImage() {
  const { stdout } = await execFile('losetup', ['-j', IMAGE]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').map((l) => l.split(':')[0]).filter(Boolean);
}

async function majorMinor(device) {
  return (await execFile('lsblk', ['-dno', 'MAJ:MIN', device])).stdout.trim();
}

async function tearDown() {
  for (const device of await devicesOfImage()) {
    const mm = await majorMinor(device).catch(() => undefined);
    if (mm) {
      await writeFile(THROTTLE, `${mm} 0\n`).catch(() => undefined);
      // The loop device is reused by whoever attaches it next: its dirty limits go back to the defaults.
      await writeFile(`/sys/class/bdi/${mm}/strict_limit`, '0\n').catch(() => undefined);
      await writeFile(`/sys/class/bdi/${mm}/max_ratio`, '100\n').catch(() => undefined);
    }
    await execFile('losetup', ['-d', device]).catch(() => undefined);
  }
  await rm(ROOT, { recursive: true, force: true });
}

export async function removeStaleSlowDisk() {
  if (existsSync(ROOT)) await tearDown();
}

/**
 * Builds the disk (`bytes` of image, writes throttled to `bytesPerSecond`); resolves with { run, dispose }:
 * run(file, args) runs `file args...` with the disk mounted at the path in $SLOW_DISK, in a private mount
 * namespace, and resolves with its stdout.
 */
export async function createSlowDisk({ bytes = 1024 ** 3, bytesPerSecond, dirtyBytes = 8 * 1024 * 1024 }) {
  await removeStaleSlowDisk();
  await mkdir(MOUNT, { recursive: true });
  const dispose = async () => {
    activeLinks.delete(ROOT);
    await tearDown();
  };
  // Ctrl-C of the bench removes it too (lib.mjs disposes everything in activeLinks).
  activeLinks.set(ROOT, dispose);
  let device;
  try {
    await execFile('truncate', ['-s', String(bytes), IMAGE]);
    device = (await execFile('losetup', ['-f', '--show', IMAGE])).stdout.trim();
    await execFile('mkfs.ext4', ['-q', '-F', device]);
    const mm = await majorMinor(device);
    await writeFile(THROTTLE, `${mm} ${bytesPerSecond}\n`);
    await writeFile(`/sys/class/bdi/${mm}/strict_limit`, '1\n');
    await writeFile(`/sys/class/bdi/${mm}/max_bytes`, `${dirtyBytes}\n`);
    if (!(await readFile(THROTTLE, 'utf8')).includes(`${mm} ${bytesPerSecond}`)) throw new Error(`the blkio throttle for ${mm} did not take`);
  } catch (error) {
    await dispose();
    throw error;
  }
  const run = async (file, args) => {
    // The mount dies with the namespace, when `file` exits.
    const script = 'dev=$1 dir=$2; shift 2; mount "$dev" "$dir" && SLOW_DISK="$dir" exec "$@"';
    const { stdout } = await execFile('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', device, MOUNT, file, ...args], { maxBuffer: 1024 * 1024 });
    return stdout;
  };
  return { run, dispose };
}
