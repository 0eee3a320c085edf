// Optional instance-side compression of the drain (`--remote-compress gzip|zstd`): the instance runs
// `tar -c --use-compress-program='zstd -1'` (or `gzip -1`) and bbr-ts decompresses before the tar parser and
// the artifact file, so the stored artifact stays the plain .tar BBR restores. Worth it on a slow link with
// compressible data (SQL dumps): see the bench's figure 8 in README.md.
//
// Never required on the instance: where the tool is missing, the instance sends the plain tar. The first bytes
// say which arrived (zstd and gzip magic numbers; a plain `tar -c .` starts with the entry name "./"), and only
// the requested format or a plain tar is accepted.
import { spawn } from 'node:child_process';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';

export const REMOTE_COMPRESSIONS = ['gzip', 'zstd'] as const;
export type RemoteCompression = (typeof REMOTE_COMPRESSIONS)[number];

// Level 1 of both: on a 1 Gbit link the instance's CPU, not the ratio, is what limits the transfer.
const COMPRESSOR: Record<RemoteCompression, string> = { gzip: 'gzip -1', zstd: 'zstd -1 -q' };

const MAGIC: Record<RemoteCompression, Buffer> = {
  gzip: Buffer.from([0x1f, 0x8b]),
  zstd: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
};

/** argv of the remote tar: compressed when the instance has the tool, else plain. $1 is the directory. */
export function remoteTarArgv(dir: string, compression: RemoteCompression | undefined): string[] {
  if (!compression) return ['tar', '-C', dir, '-c', '.'];
  const program = [
    `if command -v ${compression} >/dev/null 2>&1; then exec tar -C "$1" -c --use-compress-program='${COMPRESSOR[compression]}' .; fi`,
    'exec tar -C "$1" -c .',
  ].join('\n');
  return ['sh', '-c', program, 'sh', dir];
}

type ZstdZlib = typeof zlib & { createZstdDecompress?: () => NodeJS.ReadWriteStream };

/**
 * Can this machine decode `compression`? gzip always (zlib); zstd with Node's zlib (Node >= 22.15) or a local
 * `zstd` program. Resolves with a reason when it cannot.
 */
export async function localDecoderMissing(compression: RemoteCompression): Promise<string | undefined> {
  if (compression === 'gzip' || (zlib as ZstdZlib).createZstdDecompress) return undefined;
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn('zstd', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
  return ok ? undefined : 'decoding zstd needs the `zstd` program on this machine (apt-get install zstd) or Node.js 22.15 or later';
}

/** A decoder stage: bytes written to `input` come out decoded into `destination`; `done` settles when it has. */
interface Decoder {
  input: Writable;
  done: Promise<void>;
  destroy(): void;
}

function zstdDecoder(destination: Writable): Decoder {
  const native = (zlib as ZstdZlib).createZstdDecompress;
  if (native) {
    const stream = native();
    stream.pipe(destination);
    return { input: stream as unknown as Writable, done: finished(destination), destroy: () => (stream as unknown as Writable).destroy() };
  }
  const child = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  child.stdout.pipe(destination);
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`zstd -d failed (${code ?? signal}): ${stderr.trim() || 'no message'}`)),
    );
  });
  // stdin errors (EPIPE once zstd gave up) are reported through its exit status.
  child.stdin.on('error', () => undefined);
  return { input: child.stdin, done: Promise.all([exited, finished(destination)]).then(() => undefined), destroy: () => child.kill('SIGKILL') };
}

function gzipDecoder(destination: Writable): Decoder {
  const gunzip = zlib.createGunzip();
  gunzip.pipe(destination);
  return { input: gunzip, done: Promise.all([finished(gunzip), finished(destination)]).then(() => undefined), destroy: () => gunzip.destroy() };
}

/**
 * A Writable for the remote tar's stdout: sniffs the format from the first bytes (the requested compression or a
 * plain tar), decodes into `destination`, and finishes only once `destination` has.
 */
export function decodingSink(destination: Writable, compression: RemoteCompression): Writable {
  let target: Writable | undefined;
  let decoder: Decoder | undefined;
  let head = Buffer.alloc(0);
  const magic = MAGIC[compression];
  const pick = (bytes: Buffer): Writable => {
    if (bytes.subarray(0, magic.length).equals(magic)) {
      decoder = compression === 'zstd' ? zstdDecoder(destination) : gzipDecoder(destination);
      decoder.done.catch((error: unknown) => sink.destroy(error as Error));
      return decoder.input;
    }
    return destination;
  };
  const forward = (chunk: Buffer, callback: (error?: Error | null) => void) => {
    if (target!.write(chunk)) callback();
    else target!.once('drain', () => callback());
  };
  const sink: Writable = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      if (target) return forward(chunk, callback);
      head = Buffer.concat([head, chunk]);
      if (head.length < magic.length) return callback();
      target = pick(head);
      forward(head, callback);
    },
    final(callback) {
      if (!target) {
        // Fewer bytes than a magic number: not compressed (the tar parser judges what they are).
        target = pick(head);
        if (head.length > 0) target.write(head);
      }
      target.end();
      (decoder ? decoder.done : finished(destination)).then(() => callback(), callback);
    },
    destroy(error, callback) {
      decoder?.destroy();
      if (!destination.destroyed) destination.destroy(error ?? undefined);
      callback(error);
    },
  });
  destination.on('error', (error) => sink.destroy(error));
  return sink;
}
