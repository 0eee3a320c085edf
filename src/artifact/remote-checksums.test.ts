// Parsing the instance's checksum output: GNU `sha256sum --zero` and `openssl dgst -r` with NULs for newlines.
import { describe, expect, it } from 'vitest';
import { checksumMismatches, parseSha256sumZero } from './remote-checksums.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('parseSha256sumZero', () => {
  it('reads sha256sum text mode, names with spaces and newlines kept', () => {
    expect(parseSha256sumZero(`${A}  ./with space.txt\0${B}  ./new\nline\0`)).toEqual({ './with space.txt': A, './new\nline': B });
  });

  it('reads openssl dgst -r output (binary-mode marker) after newlines became NULs', () => {
    expect(parseSha256sumZero(`${A} *./part-0.bin\0${B} *./nested/part-1.bin\0`)).toEqual({ './part-0.bin': A, './nested/part-1.bin': B });
  });

  it('keys names without ./ as ./name and reads empty output as no files', () => {
    expect(parseSha256sumZero(`${A}  plain\0`)).toEqual({ './plain': A });
    expect(parseSha256sumZero('')).toEqual({});
  });
});

describe('checksumMismatches', () => {
  it('names files that differ or exist on one side only', () => {
    expect(checksumMismatches({ './a': A, './b': B }, { './a': A, './b': A, './c': A })).toEqual(['./b', './c']);
  });
});
