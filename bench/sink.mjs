// Figure 11: does writing the artifact stall the event loop when the artifact disk is slow (issue 13)? The same
// bytes (32 KiB chunks from another process through a pipe, as SSH delivers them, SHA-256 on the way as the
// tar parser does) go through bbr-ts's file sink (dist/artifact/file-sink.js: blocks written on the event loop
// while the disk keeps up, by the thread pool from the first slow write) and through the sink it replaced (the
// same blocks, always written with writeSync on the event loop), on this machine's disk and on a loop-device
// disk throttled to a few MB/s (slow-disk.mjs). Reported: throughput and the event loop's p99 and max delay
// (perf_hooks.monitorEventLoopDelay), which is what keepalives, the live view and the Ctrl-C handler wait.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { REPO_ROOT } from './lib.mjs';

const BLOCK = 256 * 1024;

/** The sink before issue 13: 256 KiB blocks, each written with writeSync on the calling thread. */
function writeSyncSink(file) {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  const block = Buffer.allocUnsafeSlow(BLOCK);
  let used = 0;
  const flush = () => {
    for (let offset = 0; offset < used; ) offset += writeSync(fd, block, offset, used - offset);
    used = 0;
  };
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk, _encoding, callback) {
      for (let offset = 0; offset < chunk.length; ) {
        const copied = chunk.copy(block, used, offset);
        used += copied;
        offset += copied;
        if (used === BLOCK) flush();
      }
      callback();
    },
    final(callback) {
      flush();
      closeSync(fd);
      callback();
    },
  });
}

/** One write of `bytes` into `dir` through `sink`; the event loop's delays meanwhile. */
async function measure(dir, bytes, makeSink) {
  const file = path.join(dir, `sink-${process.pid}-${Date.now()}.tar`);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  const source = spawn('head', ['-c', String(bytes), '/dev/zero'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const hash = createHash('sha256');
  try {
    await pipeline(source.stdout, new Transform({ transform: (chunk, _e, callback) => callback(null, (hash.update(chunk), chunk)) }), makeSink(file));
  } finally {
    delay.disable();
    await rm(file, { force: true });
  }
  const ms = performance.now() - started;
  return { ms, MBps: bytes / 1e6 / (ms / 1000), p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 };
}

/** Best of `repeats` by p99 delay (the machine is shared: the least disturbed run), each sink in turn. */
export async function benchSink(dir, bytes, repeats) {
  const { createFileSink } = await import(path.join(REPO_ROOT, 'dist', 'artifact', 'file-sink.js'));
  const sinks = { 'writeSync (before)': writeSyncSink, 'bbr-ts (pool once a write is slow)': (file) => createFileSink(file, { exclusive: true }) };
  const runs = Object.fromEntries(Object.keys(sinks).map((name) => [name, []]));
  for (let i = 0; i < repeats; i++) for (const [name, make] of Object.entries(sinks)) runs[name].push(await measure(dir, bytes, make));
  return Object.entries(runs).map(([sink, list]) => {
    const best = list.reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));
    return { sink, bytes, MBps: Math.max(...list.map((r) => r.MBps)), p99Ms: best.p99Ms, maxMs: Math.min(...list.map((r) => r.maxMs)) };
  });
}

// `node bench/sink.mjs BYTES REPEATS`: the figure on the disk mounted at $SLOW_DISK (run by slow-disk.mjs inside
// its private mount namespace), printed as JSON.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [bytes, repeats] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await benchSink(process.env.SLOW_DISK, bytes, repeats)));
}
