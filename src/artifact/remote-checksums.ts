// Per-file SHA-256 computed on the instance. NUL-separated output keeps names with spaces or newlines
// intact (BBR's `find | xargs shasum` breaks on them, bbr-contract.md §4.3). OpenSSL is preferred: it
// uses the CPU's SHA instructions (about 1.5 GB/s here), GNU sha256sum does not (about 250 MB/s), and
// this hash runs while the tar streams, so it must keep up with the wire.
import { asRootShell } from '../contract/as-root.js';
import { ConnectionError } from '../errors.js';
import type { RemoteShell } from '../ssh/index.js';
import type { ArtifactChecksums } from './metadata-file.js';

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

export async function remoteChecksums(shell: RemoteShell, dir: string, signal?: AbortSignal): Promise<ArtifactChecksums> {
  const result = await shell.exec(asRootShell(shell, PROGRAM, [dir]), { signal });
  if (result.exitCode !== 0) {
    throw new ConnectionError(`computing checksums of ${dir} on ${shell.instance} failed (exit ${result.exitCode}): ${result.stderrTail.trim()}`, {
      hint: 'the instance needs GNU coreutils (sha256sum), findutils and xargs',
    });
  }
  return parseSha256sumZero(result.stdout);
}

/** Parses `sha256sum --zero` output: '<hex>  <name>\0' (or '<hex> *<name>' in binary mode). */
export function parseSha256sumZero(output: string): ArtifactChecksums {
  const checksums: ArtifactChecksums = {};
  for (const record of output.split('\0')) {
    if (record === '') continue;
    const hash = record.slice(0, 64);
    const name = record.slice(66);
    checksums[name.startsWith('./') ? name : `./${name}`] = hash;
  }
  return checksums;
}

/** Names of files whose checksums differ or that exist on one side only. */
export function checksumMismatches(expected: ArtifactChecksums, actual: ArtifactChecksums): string[] {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  return [...names].filter((name) => expected[name] !== actual[name]).sort();
}

export function describeMismatches(mismatches: readonly string[]): string {
  const shown = mismatches.slice(0, 10).join(', ');
  return mismatches.length > 10 ? `${shown} and ${mismatches.length - 10} more` : shown;
}
