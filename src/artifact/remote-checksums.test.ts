// Parsing the instance's checksum output as a stream: GNU `sha256sum --zero` and `openssl dgst -r` with NULs
// for newlines, split anywhere, bounded per record, names as exact UTF-8.
import { describe, expect, it } from 'vitest';
import { ChecksumRecordParser, parseSha256sumZero } from './remote-checksums.js';

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

describe('ChecksumRecordParser', () => {
  it('reads records split across chunks at any byte, without holding the whole output', () => {
    const text = Buffer.from(`${A}  ./ä\0${B}  ./b\0`);
    for (let cut = 0; cut <= text.length; cut++) {
      const seen: [string, string][] = [];
      const parser = new ChecksumRecordParser((key, hash) => void seen.push([key, hash]));
      parser.push(text.subarray(0, cut));
      parser.push(text.subarray(cut));
      parser.end();
      expect(seen).toEqual([['./ä', A], ['./b', B]]);
    }
  });

  it('refuses a record longer than a name may be, at once and with a short message', () => {
    const parser = new ChecksumRecordParser(() => undefined);
    const name = 'n'.repeat(5000);
    expect(() => parser.push(Buffer.from(`${A}  ./${name}`))).toThrow(/a checksum record is longer than 4162 bytes/);
  });

  it('refuses names that are not UTF-8, showing the bytes, and output cut in a record', () => {
    const parser = new ChecksumRecordParser(() => undefined);
    expect(() => parser.push(Buffer.concat([Buffer.from(`${A}  ./bad`), Buffer.from([0xff, 0xfe, 0]) ]))).toThrow(/'\.\/bad\\xff\\xfe' is not valid UTF-8/);
    const cut = new ChecksumRecordParser(() => undefined);
    cut.push(Buffer.from(`${A}  ./half`));
    expect(() => cut.end()).toThrow(/ends in the middle of a record/);
    expect(() => new ChecksumRecordParser(() => undefined).push(Buffer.from('garbage\0'))).toThrow(/unexpected checksum output 'garbage'/);
  });

  it('stops when the consumer says it holds enough', () => {
    const parser = new ChecksumRecordParser(() => false);
    expect(() => parser.push(Buffer.from(`${A}  ./a\0`))).toThrow(/lists more files than bbr-ts holds/);
  });
});
