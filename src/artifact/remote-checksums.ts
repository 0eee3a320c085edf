// Per-file SHA-256 computed on the instance. NUL-separated output keeps names with spaces or newlines
// intact (BBR's `find | xargs shasum` breaks on them, bbr-contract.md §4.3). OpenSSL is preferred: it
// uses the CPU's SHA instructions (about 1.5 GB/s here), GNU sha256sum does not (about 250 MB/s), and
// this hash runs while the tar streams, so it must keep up with the wire.
//
// The output is parsed as it streams (one record of at most a name's length held at a time), never captured:
// an artifact may hold any number of files, and a hostile instance may print without end.
import { Writable } from 'node:stream';
import { asRootShell } from '../contract/as-root.js';
import { RemoteCommandError } from '../errors.js';
import { lastLines, type RemoteShell } from '../ssh/index.js';
import { decodeUtf8, quoteBytes, quoteName } from './entry-name.js';
import type { ArtifactChecksums } from './metadata-file.js';
import { MAX_NAME_BYTES } from './tar-reader.js';

// `openssl dgst -r` prints '<hex> *<name>\n' and escapes names with a newline or backslash, so such names
// (rare) take the sha256sum path; otherwise newlines become NULs and one parser reads both outputs.
const PROGRAM = [
  'cd "$1" || exit 1',
  `if command -v openssl >/dev/null 2>&1 && [ -z "$(find . -type f \\( -path '*\\\\*' -o -path '*\n*' \\) -print -quit)" ]; then`,
  '  find . -type f -exec openssl dgst -sha256 -r {} + | tr "\\n" "\\000"',
  'else',
  '  find . -type f -print0 | xargs -0 -r sha256sum --zero',
  'fi',
].join('\n');

/** '<64 hex><sep><name>' where sep is two spaces (text mode) or ' *' (binary mode). */
const MAX_RECORD_BYTES = 64 + 2 + MAX_NAME_BYTES;
const HEX = /^[0-9a-f]{64}$/;

export class ChecksumOutputError extends Error {}

/**
 * Reads `sha256sum --zero` output ('<hex>  <name>\0' or '<hex> *<name>\0') chunk by chunk and calls `onRecord`
 * with './name' and the hash of each record. `onRecord` returning false stops it (an error).
 */
export class ChecksumRecordParser {
  private readonly record = Buffer.alloc(MAX_RECORD_BYTES);
  private used = 0;

  private readonly onRecord: (key: string, hash: string) => boolean | void;

  constructor(onRecord: (key: string, hash: string) => boolean | void) {
    this.onRecord = onRecord;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const nul = chunk.indexOf(0, at);
      const end = nul === -1 ? chunk.length : nul;
      if (this.used + end - at > MAX_RECORD_BYTES) {
        throw new ChecksumOutputError(`a checksum record is longer than ${MAX_RECORD_BYTES} bytes (names are limited to ${MAX_NAME_BYTES} bytes)`);
      }
      chunk.copy(this.record, this.used, at, end);
      this.used += end - at;
      at = end;
      if (nul !== -1) {
        this.finishRecord();
        at++;
      }
    }
  }

  end(): void {
    if (this.used !== 0) throw new ChecksumOutputError('the checksum output ends in the middle of a record');
  }

  private finishRecord(): void {
    const bytes = this.record.subarray(0, this.used);
    this.used = 0;
    const hash = bytes.toString('latin1', 0, 64);
    const separator = bytes.toString('latin1', 64, 66);
    if (!HEX.test(hash) || (separator !== '  ' && separator !== ' *') || bytes.length === 66) {
      throw new ChecksumOutputError(`unexpected checksum output ${quoteBytes(bytes)}`);
    }
    const name = decodeUtf8(bytes.subarray(66));
    if (name === undefined) throw new ChecksumOutputError(`file name ${quoteBytes(bytes.subarray(66))} is not valid UTF-8`);
    const key = name.startsWith('./') ? name : `./${name}`;
    if (this.onRecord(key, hash) === false) {
      throw new ChecksumOutputError(`the checksum output lists more files than bbr-ts holds for one artifact (last: ${quoteName(key)})`);
    }
  }
}

/** The parser as a Writable, for ExecOptions.stdout (backpressure from the channel, nothing captured). */
export function createChecksumParser(onRecord: (key: string, hash: string) => boolean | void): Writable {
  const parser = new ChecksumRecordParser(onRecord);
  return new Writable({
    highWaterMark: 256 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      try {
        parser.push(chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    final(callback) {
      try {
        parser.end();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * Hashes every regular file under `dir` on the instance, calling `onRecord` for each as it arrives.
 * Resolves when the command succeeded and all its output was read.
 */
export async function remoteChecksums(
  shell: RemoteShell,
  dir: string,
  onRecord: (key: string, hash: string) => boolean | void,
  signal?: AbortSignal,
): Promise<void> {
  const failed = (why: string, cause?: unknown) =>
    new RemoteCommandError(`computing checksums of ${dir} on ${shell.instance} failed: ${why}`, {
      cause,
      hint: 'the instance needs GNU coreutils (sha256sum), findutils and xargs; names must be UTF-8 and at most 4096 bytes long',
    });
  let result;
  try {
    // Bounded as a transfer: hashing a big artifact rightly takes long, but each file's record comes when it is done.
    result = await shell.exec(asRootShell(shell, PROGRAM, [dir]), { signal, stdout: createChecksumParser(onRecord), transfer: true });
  } catch (error) {
    if (error instanceof ChecksumOutputError) throw failed(error.message, error);
    throw error;
  }
  if (result.stalled) {
    throw new RemoteCommandError(`computing checksums of ${dir} on ${shell.instance} failed: stalled: no data moved for longer than --transfer-stall-timeout`, {
      hint: `check ${shell.instance} (a hung disk or hashing program?); raise --transfer-stall-timeout when one file takes longer than that to hash`,
    });
  }
  if (result.exitCode !== 0) throw failed(`exit ${result.exitCode ?? result.signal}: ${lastLines(result.stderrTail, 5)}`);
}

/** Collects `remoteChecksums` into a table (for tests and small callers). */
export async function remoteChecksumTable(shell: RemoteShell, dir: string, signal?: AbortSignal): Promise<ArtifactChecksums> {
  const table: ArtifactChecksums = {};
  await remoteChecksums(shell, dir, (key, hash) => void (table[key] = hash), signal);
  return table;
}

/** Parses complete `sha256sum --zero` output held in memory (tests). */
export function parseSha256sumZero(output: string): ArtifactChecksums {
  const table: ArtifactChecksums = {};
  const parser = new ChecksumRecordParser((key, hash) => void (table[key] = hash));
  parser.push(Buffer.from(output));
  parser.end();
  return table;
}
