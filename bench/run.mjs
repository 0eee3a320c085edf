// `npm run bench`: measures bbr-ts against this machine's limits with real sshd instances on loopback and
// prints every figure next to a baseline measured in the same run. Not a test: nothing here fails the
// build; targets are printed as ok/MISSED. Options: --large (also a 4 GiB drain), --repeats N (default 3).
import os from 'node:os';
import { GiB, ensureGnuTime, fmtMB, fmtMs, ratio, stopFleetsOnSignal } from './lib.mjs';
import { benchDrainSize, withBulkFleet } from './drain.mjs';
import { benchFanout, benchSshFloor, withSleepyFleet } from './fanout.mjs';

const args = process.argv.slice(2);
const large = args.includes('--large');
const repeatsAt = args.indexOf('--repeats');
const repeats = repeatsAt >= 0 ? Number(args[repeatsAt + 1]) : 3;
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats takes a whole number of at least 1');
const MEMORY_TARGET_BYTES = 200e6;

const verdict = (ok) => (ok ? 'ok' : 'MISSED');
function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${title}\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}`);
}

const started = Date.now();
stopFleetsOnSignal();
await ensureGnuTime();
const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`bbr-ts bench on ${os.cpus().length} CPU(s), load average ${load}; best of ${repeats} run(s) per figure`);

// 1 and 2: drain throughput and memory, one instance on 127.0.6.1.
const sizes = large ? [1 * GiB, 4 * GiB] : [1 * GiB];
const drains = await withBulkFleet(async (ctx) => {
  const results = [];
  for (const size of sizes) results.push(await benchDrainSize(ctx, size, repeats));
  return results;
});
table(
  '1. Drain (4 files, tar + SHA-256 on both ends + write to disk) vs `ssh -c aes128-gcm@openssh.com cat > /dev/null`; target <= 1.15x',
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
console.log(`\nfleet of 100 sshd started in ${fmtMs(fan.fleetStartMs)}; bench finished in ${fmtMs(Date.now() - started)}`);
