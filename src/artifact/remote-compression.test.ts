import { execFileSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodingSink, remoteTarArgv } from './remote-compression.js';

/** A tar-like payload: starts with "./" as `tar -c .` output does, big enough to span many chunks. */
const PLAIN = Buffer.concat([Buffer.from('./'), Buffer.alloc(3 * 1024 * 1024, 'select 1;\n')]);

function collector() {
  const chunks: Buffer[] = [];
  let finishedAt: number | undefined;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk);
      setImmediate(cb); // a slow destination: backpressure must hold
    },
    final(cb) {
      finishedAt = Date.now();
      cb();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks), finished: () => finishedAt !== undefined };
}

/** Feeds `bytes` in 64 KiB pieces (as SSH delivers them) through decodingSink into a collector. */
async function decode(bytes: Buffer, compression: 'gzip' | 'zstd') {
  const out = collector();
  const pieces = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
  await pipeline(Readable.from(pieces), decodingSink(out.sink, compression));
  expect(out.finished()).toBe(true);
  return out.bytes();
}

describe('decodingSink', () => {
  it('decodes a gzip stream into the destination before it finishes', async () => {
    expect((await decode(gzipSync(PLAIN, { level: 1 }), 'gzip')).equals(PLAIN)).toBe(true);
  });

  it('decodes a zstd stream (local zstd program or Node zlib)', async () => {
    const compressed = execFileSync('zstd', ['-1', '-q', '-c'], { input: PLAIN, maxBuffer: 64 * 1024 * 1024 });
    expect((await decode(compressed, 'zstd')).equals(PLAIN)).toBe(true);
  });

  it('passes a plain tar through untouched (an instance without the tool)', async () => {
    expect((await decode(PLAIN, 'zstd')).equals(PLAIN)).toBe(true);
    expect((await decode(PLAIN, 'gzip')).equals(PLAIN)).toBe(true);
  });

  it('passes fewer bytes than a magic number through', async () => {
    expect((await decode(Buffer.from('./'), 'zstd')).toString()).toBe('./');
    expect((await decode(Buffer.alloc(0), 'gzip')).length).toBe(0);
  });

  it('does not decode a format that was not asked for', async () => {
    const gz = gzipSync(PLAIN);
    expect((await decode(gz, 'zstd')).equals(gz)).toBe(true);
  });

  it('fails on a damaged compressed stream', async () => {
    const gz = gzipSync(PLAIN);
    gz.fill(0x41, 100, 4000);
    await expect(decode(gz, 'gzip')).rejects.toThrow();
    const zst = execFileSync('zstd', ['-1', '-q', '-c'], { input: PLAIN, maxBuffer: 64 * 1024 * 1024 });
    await expect(decode(zst.subarray(0, zst.length - 10), 'zstd')).rejects.toThrow();
  });
});

describe('remoteTarArgv', () => {
  it('is the plain tar without compression, and falls back to it where the tool is missing', () => {
    expect(remoteTarArgv('/var/vcap/store/bbr-backup/db', undefined)).toEqual(['tar', '-C', '/var/vcap/store/bbr-backup/db', '-c', '.']);
    const [sh, flag, program, , dir] = remoteTarArgv('/x y', 'zstd');
    expect([sh, flag, dir]).toEqual(['sh', '-c', '/x y']);
    expect(program).toContain(`if command -v zstd >/dev/null 2>&1; then exec tar -C "$1" -c --use-compress-program='zstd -1 -q' .; fi`);
    expect(program).toMatch(/\nexec tar -C "\$1" -c \.$/);
  });
});
