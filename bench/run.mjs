// `npm run bench`: measures bbr-ts against this machine's limits with real sshd instances, on loopback and behind
// emulated 1 and 10 Gbit links, and prints every figure next to a baseline measured in the same run, as a table
// with its target and verdict. Not a test: nothing here fails the build; targets are printed as ok/MISSED.
// Every figure also goes to a JSON file (default bench/results/latest.json) so runs can be compared.
//
// Options: --large (also a 4 GiB drain), --repeats N (default 3; the link figures take at most 2, their
// baselines are bounded by the link, not by the noise), --only LIST (comma-separated groups: drain, fanout,
// link, many, bbr, compress, s3, encrypt, sink), --json FILE, --cpu-prof DIR (a V8 CPU profile of every bbr-ts
// run).
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cpuProfile, ensureGnuTime, fmtMB, fmtMs, GiB, MiB, ratio, REPO_ROOT, stopFleetsOnSignal } from './lib.mjs';
import { benchDrainSize, withBulkFleet } from './drain.mjs';
import { benchFanout, benchSshFloor, withSleepyFleet } from './fanout.mjs';
import { benchBbrSideBySide, benchLinkDrain, benchManyInstances } from './link.mjs';
import { benchCompression, COMPRESS_RATE_BITS } from './compress.mjs';
import { linkEmulationMissing, removeStaleLinks } from './net.mjs';
import { benchS3Drain, swiftInstalled, withS3Server } from './s3.mjs';
import { benchEncryption } from './encrypt.mjs';
import { benchSink } from './sink.mjs';
import { createSlowDisk, removeStaleSlowDisk, slowDiskMissing } from './slow-disk.mjs';

const GROUPS = ['drain', 'fanout', 'link', 'many', 'bbr', 'compress', 's3', 'encrypt', 'sink'];
const args = process.argv.slice(2);
const valueOf = (flag) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const large = args.includes('--large');
const repeats = Number(valueOf('--repeats') ?? 3);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats takes a whole number of at least 1');
const linkRepeats = Math.min(repeats, 2);
const only = (valueOf('--only') ?? GROUPS.join(',')).split(',').filter(Boolean);
for (const g of only) if (!GROUPS.includes(g)) throw new Error(`--only: unknown group '${g}' (have ${GROUPS.join(', ')})`);
const jsonFile = path.resolve(valueOf('--json') ?? path.join(REPO_ROOT, 'bench', 'results', 'latest.json'));
cpuProfile.dir = valueOf('--cpu-prof') ? path.resolve(valueOf('--cpu-prof')) : undefined;
const MEMORY_TARGET_BYTES = 200e6;

const verdict = (ok) => (ok ? 'ok' : 'MISSED');
const pct = (x) => `${(x * 100).toFixed(0)}%`;
const results = {
  startedAt: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg(), kernel: os.release() },
  options: { large, repeats, linkRepeats, only },
  figures: {},
  // Load average (1, 5, 15 min) as each group started: a figure measured on a busy machine is not comparable.
  loadAtStart: {},
  tables: [],
};
const noteLoad = (group) => (results.loadAtStart[group] = os.loadavg());
function table(title, header, rows) {
  results.tables.push({ title, header, rows });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n**${title}**\n\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}`);
}

const started = Date.now();
stopFleetsOnSignal();
await ensureGnuTime();
const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`bbr-ts bench on ${os.cpus().length} CPU(s), load average ${load}; best of ${repeats} run(s) per figure (link figures: ${linkRepeats})`);

if (only.includes('drain')) {
  noteLoad('drain');
  // 1 and 2: drain throughput and memory, one instance on 127.0.6.1.
  const sizes = large ? [1 * GiB, 4 * GiB] : [1 * GiB];
  const drains = await withBulkFleet(async (ctx) => {
    const list = [];
    for (const size of sizes) list.push(await benchDrainSize(ctx, size, repeats));
    return list;
  });
  results.figures.drain = drains;
  table(
    '1. Drain on loopback (4 files, tar + SHA-256 on both ends + write to disk) vs `ssh -c aes128-gcm@openssh.com cat > /dev/null`; target <= 1.15x',
    ['artifact', 'openssh cat', 'same work, native tools', 'bbr-ts drain', 'ratio', 'ratio vs native', 'machine CPU: cat / native / bbr-ts run', 'MB/s', 'target'],
    drains.map((d) => [
      d.label, fmtMs(d.baselineMs), fmtMs(d.nativeMs), fmtMs(d.drainMs), ratio(d.drainMs, d.baselineMs), ratio(d.drainMs, d.nativeMs),
      [d.baselineCpuMs, d.nativeCpuMs, d.runCpuMs].map(fmtMs).join(' / '),
      (d.sizeBytes / 1e6 / (d.drainMs / 1000)).toFixed(0), verdict(d.drainMs / d.baselineMs <= 1.15),
    ]),
  );
  const rssSpread = Math.max(...drains.map((d) => d.peakRssBytes)) / Math.min(...drains.map((d) => d.peakRssBytes));
  table(
    '2. Peak RSS of the bbr-ts process during the backup; target < 200 MB and flat across sizes',
    ['artifact', 'peak RSS', 'target'],
    drains.map((d) => [d.label, fmtMB(d.peakRssBytes), verdict(d.peakRssBytes < MEMORY_TARGET_BYTES && rssSpread < 1.25)]),
  );
}

if (only.includes('fanout')) {
  noteLoad('fanout');
  // 3 and 4: fan-out and scaling, 100 instances on 127.1.0.1-100.
  const fan = await withSleepyFleet(100, async (ctx) => {
    const best = async (instances, parallelism) => {
      let result;
      for (let i = 0; i < repeats; i++) {
        const r = await benchFanout(ctx, instances, parallelism);
        if (!result || r.wallMs < result.wallMs) result = r;
      }
      return result;
    };
    const fanout = [await best(100, 10), await best(100, 50)];
    for (const f of fanout) {
      const floors = [];
      for (let i = 0; i < repeats; i++) floors.push(await benchSshFloor(ctx, 100, f.parallelism));
      f.floorMs = Math.min(...floors.map((x) => x.scriptsMs));
      f.connectFloorMs = Math.min(...floors.map((x) => x.connectMs));
    }
    const scaling = [await best(10, 50), await best(50, 50), fanout[1]];
    return { fanout, scaling, fleetStartMs: ctx.fleetStartMs };
  });
  results.figures.fanout = fan;
  table(
    '3. Fan-out, 100 instances, lock + backup + unlock of 0.2 s each; ideal = 3 x ceil(100 / parallelism) x 0.2 s; target <= 1.3x',
    ['parallelism', 'ideal', 'bare ssh floor', 'lock+backup+unlock', 'ratio', 'ratio vs floor', 'bare connect floor', 'connect+discover+metadata', 'per instance (amortised)', 'per instance (latency)', 'whole run', 'target'],
    fan.fanout.map((f) => [
      f.parallelism, fmtMs(f.idealMs), fmtMs(f.floorMs), fmtMs(f.scriptsMs), ratio(f.scriptsMs, f.idealMs), ratio(f.scriptsMs, f.floorMs), fmtMs(f.connectFloorMs), fmtMs(f.connectMs),
      `${(f.connectMs / f.instances).toFixed(0)} ms`, `${f.overheadPerInstanceMs.toFixed(0)} ms`, fmtMs(f.wallMs),
      verdict(f.scriptsMs / f.idealMs <= 1.3 && (f.parallelism !== 50 || f.connectMs / f.instances < 50)),
    ]),
  );
  const base = fan.scaling[0];
  table(
    '4. Scaling at parallelism 50 (whole backup run, wall clock); growth must be linear or better',
    ['instances', 'wall time', 'per instance', 'peak RSS', 'time vs 10 (linear = N/10)', 'RSS vs 10'],
    fan.scaling.map((s) => [
      s.instances, fmtMs(s.wallMs), `${(s.wallMs / s.instances).toFixed(0)} ms`, fmtMB(s.peakRssBytes),
      `${ratio(s.wallMs, base.wallMs)} (${s.instances / base.instances}x)`, ratio(s.peakRssBytes, base.peakRssBytes),
    ]),
  );
  console.log(`\nfleet of 100 sshd started in ${fmtMs(fan.fleetStartMs)}`);
}

const linkGroups = only.filter((g) => ['link', 'many', 'bbr', 'compress'].includes(g));
const missing = linkGroups.length > 0 ? await linkEmulationMissing() : null;
if (missing) {
  console.log(`\nskipping ${linkGroups.join(', ')} (emulated links): ${missing}`);
  for (const g of linkGroups) results.figures[g] = { skipped: missing };
} else if (linkGroups.length > 0) {
  await removeStaleLinks();
  const LINK_TARGETS = { 1e9: 1.05, 1e10: 1.25 };
  if (only.includes('link')) {
    noteLoad('link');
    const rows = [];
    for (const [k, rate] of [1e9, 1e10].entries()) rows.push(await benchLinkDrain(rate, k, linkRepeats));
    results.figures.link = rows;
    table(
      '5. Drain of 1 GiB (4 files) over an emulated link (veth + tc tbf, instance in its own network namespace) vs `ssh cat` of the same files over the same link; target <= 1.05x at 1 Gbit, <= 1.25x at 10 Gbit',
      ['link', 'link floor', 'ssh cat > /dev/null', 'ssh cat > file', 'bbr-ts drain', 'ratio', 'ratio vs cat > file', 'bbr-ts process CPU', 'machine CPU: cat / bbr-ts run', 'target'],
      rows.map((r) => [
        r.link, fmtMs(r.linkMs), fmtMs(r.sshCatMs), fmtMs(r.sshCatToFileMs), fmtMs(r.drainMs), ratio(r.drainMs, r.sshCatMs), ratio(r.drainMs, r.sshCatToFileMs),
        fmtMs(r.bbrTsProcessCpuMs), `${fmtMs(r.sshCatCpuMs)} / ${fmtMs(r.runCpuMs)}`, verdict(r.ratio <= LINK_TARGETS[r.rateBits]),
      ]),
    );
  }
  if (only.includes('many')) {
    noteLoad('many');
    const rows = [];
    for (const [k, rate] of [1e9, 1e10].entries()) rows.push(await benchManyInstances(rate, 2 + k, 8, 256 * MiB, linkRepeats));
    results.figures.many = rows;
    table(
      '6. 8 instances x 256 MiB behind ONE emulated jumpbox link, drained in parallel: aggregate throughput as a share of the link\'s payload rate (1448 of 1514 bytes per frame); target >= 90% at 1 Gbit, 10 Gbit reported',
      ['link', 'link floor', '8 x ssh cat', 'ssh cat share', 'bbr-ts drain', 'MB/s', 'share of link', 'bbr-ts process CPU', 'machine CPU busy: cat / bbr-ts', 'target'],
      rows.map((r) => [
        r.link, fmtMs(r.linkMs), fmtMs(r.sshCatMs), pct(r.sshCatShare), fmtMs(r.drainMs), r.drainMBps.toFixed(0), pct(r.drainShare),
        fmtMs(r.bbrTsProcessCpuMs), `${pct(r.sshCatCpuBusyShare)} / ${pct(r.cpuBusyShare)}`,
        r.rateBits <= 1e9 ? verdict(r.drainShare >= 0.9) : `bottleneck: ${r.cpuBusyShare > 0.9 ? 'CPU' : 'not CPU'}`,
      ]),
    );
  }
  if (only.includes('bbr')) {
    noteLoad('bbr');
    const r = await benchBbrSideBySide(1e9, 4, 10, 100 * MiB, linkRepeats);
    results.figures.bbr = r;
    table(
      '7. BBR side by side: 10 instances x 100 MiB behind one emulated 1 Gbit link; BBR\'s own command sequence (OpenSSH, a new connection per command, 10 in flight) vs one whole bbr-ts backup; target <= 0.5x',
      ['link', 'link floor', 'BBR sequence', 'bbr-ts backup', 'ratio', 'best possible (link floor / BBR)', 'machine CPU: BBR / bbr-ts', 'target'],
      [[r.link, fmtMs(r.linkMs), fmtMs(r.bbrMs), fmtMs(r.bbrTsMs), ratio(r.bbrTsMs, r.bbrMs), ratio(r.linkMs, r.bbrMs), `${fmtMs(r.bbrCpuMs)} / ${fmtMs(r.bbrTsCpuMs)}`, verdict(r.ratio <= 0.5)]],
    );
  }
  if (only.includes('compress')) {
    noteLoad('compress');
    const rows = await benchCompression(COMPRESS_RATE_BITS, 5, linkRepeats);
    results.figures.compress = rows;
    table(
      '8. A 1 GiB pg_dump-like SQL artifact over an emulated 1 Gbit link, with and without instance-side compression (`--remote-compress`); the stored artifact is the same plain tar',
      ['compression', 'bytes on the wire', 'drain', 'vs none', 'machine CPU (bbr-ts run)', 'bbr-ts process CPU'],
      rows.map((r) => [r.method, fmtMB(r.wireBytes), fmtMs(r.drainMs), ratio(r.drainMs, rows[0].drainMs), fmtMs(r.runCpuMs), fmtMs(r.bbrTsProcessCpuMs)]),
    );
  }
}

if (only.includes('s3')) {
  // 9: drain into object storage (Swift + s3api on this machine) next to the drain to the local disk.
  if (!swiftInstalled()) {
    console.log('\n9. skipped: the swift packages are not installed (scripts/test.sh installs them)');
  } else {
    const s3Repeats = Math.min(repeats, 2);
    const rows = await withBulkFleet((ctx) =>
      withS3Server(ctx.work, async (server) => {
        const list = [];
        for (const size of [1 * GiB, 4 * GiB]) list.push(await benchS3Drain(ctx, server, size, s3Repeats));
        return list;
      }),
    );
    results.figures.s3 = rows;
    const s3RssSpread = rows[1].s3PeakRssBytes / rows[0].s3PeakRssBytes;
    table(
      `9. Drain into S3 (local Swift + s3api, 16 MiB parts, 4 in flight) vs drain to the local disk, same instance, best of ${s3Repeats}; targets: S3 drain <= 1.25x the local one, peak RSS flat across sizes (< 1.25x)`,
      ['artifact', 'drain to disk', 'drain to S3', 'ratio', 'machine CPU: disk / S3 run', 'peak RSS: disk / S3', 'target (time)', 'target (RSS flat)'],
      rows.map((r) => [
        r.label, fmtMs(r.localDrainMs), fmtMs(r.s3DrainMs), ratio(r.s3DrainMs, r.localDrainMs), `${fmtMs(r.localCpuMs)} / ${fmtMs(r.s3CpuMs)}`,
        `${fmtMB(r.localPeakRssBytes)} / ${fmtMB(r.s3PeakRssBytes)}`, verdict(r.s3DrainMs / r.localDrainMs <= 1.25), verdict(s3RssSpread < 1.25),
      ]),
    );
  }
}

if (only.includes('encrypt')) {
  noteLoad('encrypt');
  // 10: the same drain plain and with --encrypt-to (age), alternating on one instance.
  const row = await withBulkFleet((ctx) => benchEncryption(ctx, 1 * GiB, repeats));
  results.figures.encrypt = row;
  table(
    `10. Encryption at rest: drain of 1 GiB (4 incompressible files) with \`--encrypt-to\` (age) vs the same drain plain, alternating, best of ${repeats}; target <= 1.15x`,
    ['artifact', 'plain drain', 'encrypted drain', 'ratio', 'median pair ratio', 'machine CPU: plain / encrypted run', 'bbr-ts process CPU: plain / encrypted', 'main thread / other threads: plain', 'main thread / other threads: encrypted', 'peak RSS: plain / encrypted', 'target'],
    [[
      row.label, fmtMs(row.plainDrainMs), fmtMs(row.encryptedDrainMs), ratio(row.encryptedDrainMs, row.plainDrainMs), `${row.medianPairRatio.toFixed(2)}x`,
      `${fmtMs(row.plainRunCpuMs)} / ${fmtMs(row.encryptedRunCpuMs)}`, `${fmtMs(row.plainProcessCpuMs)} / ${fmtMs(row.encryptedProcessCpuMs)}`,
      `${fmtMs(row.plainMainThreadCpuMs)} / ${fmtMs(row.plainOtherThreadsCpuMs)}`, `${fmtMs(row.encryptedMainThreadCpuMs)} / ${fmtMs(row.encryptedOtherThreadsCpuMs)}`,
      `${fmtMB(row.plainPeakRssBytes)} / ${fmtMB(row.encryptedPeakRssBytes)}`, verdict(row.ratio <= 1.15),
    ]],
  );
}

if (only.includes('sink')) {
  // 11: the artifact file's writes and the event loop, on this disk and on a throttled one (issue 13).
  noteLoad('sink');
  const rows = (await benchSink(os.tmpdir(), 256 * MiB, repeats)).map((r) => ({ disk: `${os.tmpdir()} (this machine's disk)`, ...r }));
  const missing = await slowDiskMissing();
  const SLOW_BPS = 2 * 1e6;
  if (missing) {
    console.log(`\n11. the throttled disk is skipped: ${missing}`);
  } else {
    await removeStaleSlowDisk();
    const disk = await createSlowDisk({ bytesPerSecond: SLOW_BPS });
    try {
      const measured = JSON.parse(await disk.run(process.execPath, [path.join(REPO_ROOT, 'bench', 'sink.mjs'), String(32 * MiB), String(Math.min(repeats, 2))]));
      for (const r of measured) rows.push({ disk: `loop-device ext4, writes throttled to ${SLOW_BPS / 1e6} MB/s`, ...r });
    } finally {
      await disk.dispose();
    }
  }
  results.figures.sink = rows;
  table(
    `11. Writing an artifact file: bbr-ts's sink (256 KiB blocks, written by the thread pool once a write was slow) vs the writeSync sink it replaced, 32 KiB chunks from a pipe, SHA-256 on the way; event-loop delay (what keepalives, the live view and Ctrl-C wait) and throughput, best of ${repeats} (throttled disk: ${Math.min(repeats, 2)})`,
    ['disk', 'sink', 'MB/s', 'event loop p99', 'event loop max'],
    rows.map((r) => [r.disk, r.sink, r.MBps.toFixed(0), `${r.p99Ms.toFixed(0)} ms`, `${r.maxMs.toFixed(0)} ms`]),
  );
}

results.finishedAt = new Date().toISOString();
results.durationMs = Date.now() - started;
await mkdir(path.dirname(jsonFile), { recursive: true });
await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nbench finished in ${fmtMs(results.durationMs)}; figures written to ${path.relative(process.cwd(), jsonFile) || jsonFile}`);
