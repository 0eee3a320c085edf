// Figure 8 of `npm run bench`: a 1 GiB pg_dump-like SQL artifact (sql-dump.mjs) over an emulated 1 Gbit link,
// drained by bbr-ts plain and with `--remote-compress gzip|zstd` (the instance compresses at level 1, bbr-ts
// decompresses before hashing and storing the plain tar). Bytes on the wire come from the link's tbf counter.
import { execFile as execFileCb } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fastest, fleetFlags, GiB, runBbrTs } from './lib.mjs';
import { linkSentBytes } from './net.mjs';
import { withLinkFleet } from './link.mjs';
import { writeSqlDump } from './sql-dump.mjs';

const execFile = promisify(execFileCb);
export const COMPRESS_RATE_BITS = 1e9;

const hasTool = (tool) => execFile('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false);

export async function benchCompression(rateBits, k, repeats) {
  return withLinkFleet({ name: 'c', k, rateBits, instances: 1 }, async ({ fleet, manifest, work, link }) => {
    const store = path.join(fleet.instances[0].dir, 'store', 'bulk');
    await rm(store, { recursive: true, force: true });
    await mkdir(store, { recursive: true });
    await writeSqlDump(path.join(store, 'dump.sql'), 1 * GiB);
    const methods = ['none', 'gzip', ...((await hasTool('zstd')) ? ['zstd'] : [])];
    const rows = [];
    for (const method of methods) {
      const runs = [];
      for (let i = 0; i < repeats; i++) {
        const artifacts = path.join(work, `artifacts-${method}-${i}`);
        await mkdir(artifacts, { recursive: true });
        try {
          const sentBefore = await linkSentBytes(link);
          const extra = method === 'none' ? [] : ['--remote-compress', method];
          const run = await runBbrTs([...fleetFlags(fleet, manifest, artifacts, 10), ...extra]);
          if (run.phases.drain === undefined) throw new Error(`no drain duration in bbr-ts output:\n${run.stdout}`);
          runs.push({ ...run, drainMs: run.phases.drain, wireBytes: (await linkSentBytes(link)) - sentBefore });
        } finally {
          await rm(artifacts, { recursive: true, force: true });
        }
      }
      const run = fastest(runs, 'drainMs');
      rows.push({ method, rateBits, bytes: 1 * GiB, drainMs: run.drainMs, wallMs: run.wallMs, wireBytes: run.wireBytes, runCpuMs: run.cpuMs, bbrTsProcessCpuMs: run.processCpuMs });
    }
    return rows;
  });
}
