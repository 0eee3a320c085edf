// Figure 10 of `npm run bench`: what encryption at rest (`backup --encrypt-to`, age) costs a drain. The same
// 1 GiB artifact (4 incompressible files) is drained from the same instance plain and encrypted, alternating in
// the same run, so both see the same machine; the figure is the encrypted drain's time over the plain one's
// (issue 16: at most 1.15x).
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { formatRecipient, generateIdentity } from '../dist/artifact/age/keys.js';
import { fastest, fleetFlags, GiB, runBbrTs, writeBulkFiles } from './lib.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** One drain into a fresh folder; checks that an encrypted one stored `.tar.age` files. */
async function drainOnce({ fleet, manifest, work }, label, extra) {
  const artifacts = path.join(work, `artifacts-${label}`);
  await mkdir(artifacts, { recursive: true });
  try {
    const run = await runBbrTs([...fleetFlags(fleet, manifest, artifacts, 10), ...extra]);
    if (run.phases.drain === undefined) throw new Error(`no drain duration in bbr-ts output:\n${run.stdout}`);
    if (extra.length > 0) {
      const [backup] = await readdir(artifacts);
      const files = await readdir(path.join(artifacts, backup));
      if (!files.some((f) => f.endsWith('.tar.age'))) throw new Error(`encrypted drain stored no .tar.age file: ${files.join(', ')}`);
    }
    return { ...run, drainMs: run.phases.drain };
  } finally {
    await rm(artifacts, { recursive: true, force: true });
  }
}

export async function benchEncryption(ctx, totalBytes, repeats) {
  await writeBulkFiles(ctx.fleet.instances[0].dir, totalBytes);
  const recipient = formatRecipient(generateIdentity().identity.recipient);
  await drainOnce(ctx, 'warm', []); // the page cache, sshd and the instance's tar
  const plain = [];
  const encrypted = [];
  for (let i = 0; i < repeats; i++) {
    plain.push(await drainOnce(ctx, `plain-${i}`, []));
    encrypted.push(await drainOnce(ctx, `age-${i}`, ['--encrypt-to', recipient]));
  }
  const p = fastest(plain, 'drainMs');
  const e = fastest(encrypted, 'drainMs');
  return {
    sizeBytes: totalBytes,
    label: `${totalBytes / GiB} GiB`,
    plainDrainMs: p.drainMs,
    encryptedDrainMs: e.drainMs,
    // Best against best, and the median of the per-pair ratios (each pair ran back to back).
    ratio: e.drainMs / p.drainMs,
    medianPairRatio: median(plain.map((r, i) => encrypted[i].drainMs / r.drainMs)),
    plainDrainsMs: plain.map((r) => r.drainMs),
    encryptedDrainsMs: encrypted.map((r) => r.drainMs),
    plainRunCpuMs: p.cpuMs,
    encryptedRunCpuMs: e.cpuMs,
    plainProcessCpuMs: p.processCpuMs,
    encryptedProcessCpuMs: e.processCpuMs,
    // The drain's own thread against the others (the sealing worker among them): what moving encryption off the
    // main thread is for.
    plainMainThreadCpuMs: p.mainThreadCpuMs,
    encryptedMainThreadCpuMs: e.mainThreadCpuMs,
    plainOtherThreadsCpuMs: p.otherThreadsCpuMs,
    encryptedOtherThreadsCpuMs: e.otherThreadsCpuMs,
    plainPeakRssBytes: Math.max(...plain.map((r) => r.peakRssBytes)),
    encryptedPeakRssBytes: Math.max(...encrypted.map((r) => r.peakRssBytes)),
  };
}
