// The tar parser used by drain and verify: GNU tar's own archives (gnu and posix formats, hard links, symlinks,
// long names) read exactly as `find -type f | sha256sum` sees the folder, and everything GNU tar would extract
// differently from what the checksums describe is refused with a short message.
import { createHash } from 'node:crypto';
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { useScratchDir } from '../../test/support/scratch-dir.js';
import { craftTar, tarHeader, withLongName, withPax, type CraftEntry } from '../../test/support/tar-craft.js';
import { ArtifactError } from '../errors.js';
import { PathAccount, PathBudget } from './path-budget.js';
import { createTarChecksummer, type TarSummary } from './tar-checksums.js';

const scratch = useScratchDir('bbr-ts-tar-');
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** Feeds `bytes` in chunks of `chunk` bytes (odd sizes cross every block boundary). */
async function summarize(bytes: Buffer, options: { chunk?: number; budgetBytes?: number } = {}): Promise<TarSummary> {
  const size = options.chunk ?? 1000;
  const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
  const account = options.budgetBytes === undefined ? undefined : new PathAccount(new PathBudget(options.budgetBytes));
  const { sink, summary } = createTarChecksummer('test.tar', { account });
  await pipeline(Readable.from(chunks), sink).catch(() => undefined);
  return summary;
}

const refusal = async (bytes: Buffer, options?: { chunk?: number; budgetBytes?: number }): Promise<ArtifactError> => {
  const error = await summarize(bytes, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArtifactError);
  return error as ArtifactError;
};

const file = (name: string, content = name, extra: Partial<CraftEntry> = {}): CraftEntry => ({ name, content, ...extra });

describe('createTarChecksummer on archives GNU tar writes', () => {
  it.each(['gnu', 'posix'])('hashes files as find does; a hard link gets its target\'s hash (--format=%s)', async (format) => {
    const dir = path.join(scratch(), 'a');
    await mkdir(path.join(dir, 'nested', 'x'.repeat(120)), { recursive: true });
    await writeFile(path.join(dir, 'one'), 'one\n');
    await writeFile(path.join(dir, 'nested', 'x'.repeat(120), 'y'.repeat(150)), 'long\n');
    await link(path.join(dir, 'one'), path.join(dir, 'nested', 'hard'));
    await symlink('../one', path.join(dir, 'nested', 'soft'));
    const tar = await execa('tar', ['-C', dir, `--format=${format}`, '-c', '.'], { encoding: 'buffer', stripFinalNewline: false });
    const summary = await summarize(Buffer.from(tar.stdout), { chunk: 777 });
    expect(summary.checksums).toEqual({
      './one': sha('one\n'),
      './nested/hard': sha('one\n'),
      [`./nested/${'x'.repeat(120)}/${'y'.repeat(150)}`]: sha('long\n'),
    });
    expect(summary.fileCount).toBe(3);
    expect(summary.contentBytes).toBe(9);
  });

  it('accepts a setgid directory, a pax path, and GNU tar\'s end padding', async () => {
    const bytes = craftTar([
      { name: './', type: '5', mode: 0o2775 },
      withPax([['path', './ü'], ['mtime', '1700000000.5']], file('ignored', 'u')),
    ]);
    const summary = await summarize(Buffer.concat([bytes, Buffer.alloc(8192)]));
    expect(summary.checksums).toEqual({ './ü': sha('u') });
  });
});

describe('createTarChecksummer refuses', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['a PAX global header', craftTar([withPax([], file('a')), { name: 'g', type: 'g', content: '26 linkpath=/etc/hostname\n' }, { name: 'link', type: '2', linkname: 'a' }]), /is a PAX global header \(GNU tar applies its attributes to every following entry/],
    ['a GNU sparse entry', craftTar([{ name: './sparse', type: 'S', content: 'x' }]), /tar entry '\.\/sparse' is a GNU sparse file; bbr-ts accepts files, directories and links only/],
    ['a character device', craftTar([{ name: './tty', type: '3' }]), /'\.\/tty' is a character device/],
    ['a FIFO', craftTar([{ name: './fifo', type: '6' }]), /'\.\/fifo' is a FIFO/],
    ['an unknown type', craftTar([{ name: './what', type: 'Z' }]), /'\.\/what' has the unknown type 'Z'/],
    ['a pax sparse map', craftTar([withPax([['GNU.sparse.major', '1']], file('./s'))]), /the key 'GNU\.sparse\.major'/],
    ['a name that is not UTF-8', craftTar([file('x', 'x', { name: Buffer.from([0x2e, 0x2f, 0xff, 0x41]) })]), /tar entry name '\.\/\\xffA' is not valid UTF-8/],
    ['a pax name that is not UTF-8', craftTar([withPax([['path', Buffer.from([0x61, 0xc3])]], file('x'))]), /name 'a\\xc3' is not valid UTF-8/],
    ['a NUL in a pax name', craftTar([withPax([['path', 'a\0b']], file('x'))]), /contains a NUL byte/],
    ['x -> . then x/y -> ..', craftTar([{ name: './x', type: '2', linkname: '.' }, { name: './x/y', type: '2', linkname: '..' }]), /tar entry '\.\/x\/y' is unsafe \(it lies below the symbolic link '\.\/x', which extraction would follow\)/],
    ['a link whose target leaves through a later link', craftTar([{ name: './t', type: '2', linkname: 's/../escape' }, { name: './s', type: '2', linkname: '.' }]), /tar entry '\.\/t' is unsafe \(symbolic link to 's\/\.\.\/escape' outside the artifact\)/],
    ['a symlink loop', craftTar([{ name: './a', type: '2', linkname: 'b' }, { name: './b', type: '2', linkname: 'a' }]), /tar entry '\.\/a' is unsafe \(symbolic link to 'b' that loops\)/],
    ['an absolute symlink', craftTar([{ name: './l', type: '2', linkname: '/etc/hostname' }]), /symbolic link to '\/etc\/hostname' outside the artifact/],
    ['a hard link to a missing file', craftTar([{ name: './h', type: '1', linkname: './nothing' }]), /hard link to '\.\/nothing', which is not an earlier file of the artifact/],
    ['a hard link to a directory', craftTar([{ name: './d', type: '5' }, { name: './h', type: '1', linkname: './d' }]), /not an earlier file of the artifact/],
    ['a hard link to a symlink that points outside from its new place', craftTar([{ name: './d', type: '5' }, { name: './d/up', type: '2', linkname: '..' }, { name: './h', type: '1', linkname: './d/up' }]), /tar entry '\.\/h' is unsafe \(symbolic link to '\.\.' outside the artifact\)/],
    ['an entry below a file', craftTar([file('./f'), file('./f/g')]), /'\.\/f\/g' is unsafe \(it lies below the file '\.\/f'\)/],
    ['a name given twice', craftTar([file('./f'), file('f')]), /'f' is unsafe \(the archive has an earlier entry with the same name\)/],
    ['a file replacing a directory', craftTar([file('./d/f'), file('./d')]), /'\.\/d' is unsafe \(it would replace a directory of the archive\)/],
    ['a setuid file', craftTar([file('./su', 'x', { mode: 0o4755 })]), /'\.\/su' is unsafe \(setuid bit/],
    ['a setgid file', craftTar([file('./sg', 'x', { mode: 0o2755 })]), /'\.\/sg' is unsafe \(setgid bit/],
    ['a file name ending in /', craftTar([file('./f/')]), /'\.\/f\/' is a file whose name ends in '\/'/],
    ['data after the end of the archive', Buffer.concat([craftTar([file('./a')]), tarHeader({ name: './hidden' })]), /data after the end-of-archive block at byte 2048/],
    ['a truncated archive', craftTar([file('./a', 'x'.repeat(600))]).subarray(0, 1000), /unexpected end of data/],
    ['a damaged header', Buffer.from('not a tar'.padEnd(1024, ' ')), /invalid tar header at byte 0 \(the checksum field is not a number\)/],
  ];
  it.each(cases)('%s', async (_name, bytes, message) => {
    const error = await refusal(bytes);
    expect(error.message).toMatch(/^test\.tar: /);
    expect(error.message).toMatch(message);
    expect(error.hint).toBeDefined();
  });

  it('a long name over 4096 bytes as soon as its header arrives, without reading the body', async () => {
    // The header announces 100 MB; only the header is ever written.
    const header = tarHeader({ name: '././@LongLink', type: 'L', size: 100 * 1024 * 1024, magic: 'gnu' });
    const error = await refusal(header);
    expect(error.message).toBe('test.tar: not a tar bbr-ts can restore: a GNU long name of 104857600 bytes at byte 0 (at most 4097 accepted: names are limited to 4096 bytes)');
    const pax = await refusal(tarHeader({ name: 'PaxHeaders/x', type: 'x', size: 100 * 1024 * 1024 }));
    expect(pax.message).toMatch(/a pax extended header of 104857600 bytes at byte 0 \(at most 65536 accepted/);
  });

  it('a pax path over 4096 bytes, quoting nothing of it', async () => {
    const error = await refusal(craftTar([withPax([['path', 'p'.repeat(5000)]], file('x'))]));
    expect(error.message).toMatch(/a tar entry's name at byte \d+ is 5000 bytes long \(at most 4096 accepted\)/);
    expect(error.message.length).toBeLessThan(200);
  });

  it('quotes at most 200 characters of an unsafe name', async () => {
    const error = await refusal(craftTar([withLongName(`/${'a'.repeat(4000)}`, file('x'))]));
    expect(error.message).toMatch(/tar entry '\/a{199}…' is unsafe \(absolute path\)/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('an archive with more paths than the run\'s path budget, giving back what it held', async () => {
    const entries = Array.from({ length: 50 }, (_, i) => file(`./file-${i}`, ''));
    const budget = new PathBudget(50 * 320);
    const first = createTarChecksummer('first.tar', { account: new PathAccount(budget) });
    await pipeline(Readable.from([craftTar(entries)]), first.sink);
    expect((await first.summary).fileCount).toBe(50);
    // The first table is kept (a drained artifact's checksums go into the metadata): nothing is left for a second.
    const second = createTarChecksummer('second.tar', { account: new PathAccount(budget) });
    await pipeline(Readable.from([craftTar(entries)]), second.sink).catch(() => undefined);
    await expect(second.summary).rejects.toThrow(
      /second\.tar: the artifacts list more paths than bbr-ts holds in memory in one run \(about 0 MiB of paths\), after \d+ files of this artifact/,
    );
    first.release();
    const third = createTarChecksummer('third.tar', { account: new PathAccount(budget) });
    await pipeline(Readable.from([craftTar(entries)]), third.sink);
    expect((await third.summary).fileCount).toBe(50);
  });
});

describe('createTarChecksummer on old timestamps', () => {
  it('reads a file dated before 1970 (GNU tar writes a negative base-256 mtime)', async () => {
    const dir = path.join(scratch(), 'old');
    await mkdir(dir);
    await writeFile(path.join(dir, 'old'), 'old\n');
    await execa('touch', ['-d', '1960-01-01', path.join(dir, 'old')]);
    const tar = await execa('tar', ['-C', dir, '-c', '.'], { encoding: 'buffer', stripFinalNewline: false });
    expect((await summarize(Buffer.from(tar.stdout))).checksums).toEqual({ './old': sha('old\n') });
  });
});
