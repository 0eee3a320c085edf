// A streaming tar reader that sees an archive the way GNU tar extracts it on the instance (`tar -x`, default
// options), and refuses everything it does not model exactly. It holds at most one 512-byte block and one
// bounded metadata body, whatever the stream.
//
// Why not tar-stream, which bbr-ts used before: it buffers a pax or GNU long-name body up to 4 MiB before
// emitting an entry, decodes names lossily (invalid UTF-8 became U+FFFD, so two names could share one key),
// applies a pax global header only to entries that have their own pax header (GNU tar applies it to every
// following entry), reads on past the end-of-archive block (GNU tar stops there) and skips entry types it does
// not know (GNU tar extracts sparse files and devices). Each of these let a verified backup differ from what
// restore writes.
import { decodeUtf8, quoteBytes, quoteName } from './entry-name.js';

/** Longest entry name or link target accepted, in bytes (Linux PATH_MAX). */
export const MAX_NAME_BYTES = 4096;
/** Largest pax extended header body accepted: room for two maximal names and the usual attributes. */
export const MAX_PAX_BYTES = 64 * 1024;

export type TarEntryType = 'file' | 'link' | 'symlink' | 'directory';

export interface TarEntry {
  /** The name exactly as GNU tar will use it (pax `path` over GNU long name over the header fields). */
  name: string;
  type: TarEntryType;
  /** Link target for 'link' and 'symlink', else ''. */
  linkname: string;
  /** Content bytes that follow (only 'file' entries' content is passed on). */
  size: number;
  /** Permission bits from the header, including setuid/setgid/sticky. */
  mode: number;
}

export interface TarReaderHandlers {
  entry(entry: TarEntry): void;
  /** Content of the current 'file' entry, in order. */
  data(chunk: Buffer): void;
  /** The current entry's content is complete. */
  entryEnd(): void;
}

/** The archive is not one bbr-ts can vouch for; `message` says why (names quoted and capped). */
export class TarFormatError extends Error {}

const BLOCK = 512;

// Type flags GNU tar writes for what bbr-ts refuses, to say what was found.
const REFUSED_TYPES: Readonly<Record<string, string>> = {
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
  g: 'PAX global header (GNU tar applies its attributes to every following entry; bbr-ts refuses it rather than model it)',
  S: 'GNU sparse file',
  D: 'GNU incremental dump directory',
  M: 'GNU multi-volume continuation',
  V: 'volume label',
  N: 'old GNU long name',
};

type State = 'header' | 'content' | 'meta' | 'padding' | 'end';

interface Pending {
  longName?: Buffer;
  longLink?: Buffer;
  pax?: Map<string, Buffer>;
}

export class TarReader {
  private state: State = 'header';
  private readonly block = Buffer.alloc(BLOCK);
  private blockUsed = 0;
  private remaining = 0;
  private padding = 0;
  private metaType = '';
  private meta: Buffer = Buffer.alloc(0);
  private metaUsed = 0;
  private pending: Pending = {};
  private passContent = false;
  private offset = 0;
  /** Size of the current entry or metadata body, for the padding after it. */
  private lastSize = 0;

  private readonly handlers: TarReaderHandlers;

  constructor(handlers: TarReaderHandlers) {
    this.handlers = handlers;
  }

  /** Bytes read so far. */
  get position(): number {
    return this.offset;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case 'header': {
          const n = Math.min(BLOCK - this.blockUsed, chunk.length - at);
          chunk.copy(this.block, this.blockUsed, at, at + n);
          this.blockUsed += n;
          at += n;
          this.offset += n;
          if (this.blockUsed === BLOCK) {
            this.blockUsed = 0;
            this.header(this.offset - BLOCK);
          }
          break;
        }
        case 'content': {
          const n = Math.min(this.remaining, chunk.length - at);
          if (this.passContent) this.handlers.data(chunk.subarray(at, at + n));
          this.remaining -= n;
          at += n;
          this.offset += n;
          if (this.remaining === 0) this.endOfContent();
          break;
        }
        case 'meta': {
          const n = Math.min(this.remaining, chunk.length - at);
          chunk.copy(this.meta, this.metaUsed, at, at + n);
          this.metaUsed += n;
          this.remaining -= n;
          at += n;
          this.offset += n;
          if (this.remaining === 0) {
            this.metaDone();
            this.toPadding();
          }
          break;
        }
        case 'padding': {
          const n = Math.min(this.padding, chunk.length - at);
          this.padding -= n;
          at += n;
          this.offset += n;
          if (this.padding === 0) this.state = 'header';
          break;
        }
        case 'end': {
          // GNU tar stops at the first zero block; anything after it would be in our checksums but never extracted.
          for (; at < chunk.length; at++, this.offset++) {
            if (chunk[at] !== 0) throw new TarFormatError(`data after the end-of-archive block at byte ${this.offset} (GNU tar would ignore it)`);
          }
          break;
        }
      }
    }
  }

  /** The stream ended: it must end between entries. */
  end(): void {
    const between = this.state === 'end' || (this.state === 'header' && this.blockUsed === 0);
    if (!between) throw new TarFormatError('unexpected end of data (the tar is truncated)');
    if (this.state === 'header' && (this.pending.longName || this.pending.longLink || this.pending.pax)) {
      throw new TarFormatError('unexpected end of data after an extended header');
    }
  }

  private toPadding(): void {
    const partial = this.lastSize % BLOCK;
    this.padding = partial === 0 ? 0 : BLOCK - partial;
    this.state = this.padding === 0 ? 'header' : 'padding';
  }

  private endOfContent(): void {
    this.handlers.entryEnd();
    this.toPadding();
  }

  private header(at: number): void {
    const block = this.block;
    if (block.every((byte) => byte === 0)) {
      if (this.pending.longName || this.pending.longLink || this.pending.pax) {
        throw new TarFormatError(`an extended header before byte ${at} is followed by the end of the archive`);
      }
      this.state = 'end';
      return;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    const recorded = numeric(block, 148, 8, 'checksum', at);
    if (recorded !== sum) throw new TarFormatError(`invalid tar header at byte ${at} (checksum mismatch): not a tar, or a damaged one`);
    const flag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
    const size = numeric(block, 124, 12, 'size', at);
    const mode = numeric(block, 100, 8, 'mode', at);
    for (const [offset, length, field] of [[108, 8, 'uid'], [116, 8, 'gid'], [136, 12, 'mtime']] as const) numeric(block, offset, length, field, at);
    this.lastSize = size;

    if (flag === 'L' || flag === 'K' || flag === 'x') {
      const which = flag === 'L' ? 'longName' : flag === 'K' ? 'longLink' : 'pax';
      const what = flag === 'L' ? 'GNU long name' : flag === 'K' ? 'GNU long link name' : 'pax extended header';
      const cap = flag === 'x' ? MAX_PAX_BYTES : MAX_NAME_BYTES + 1;
      if (size > cap) {
        throw new TarFormatError(`a ${what} of ${size} bytes at byte ${at} (at most ${cap} accepted: names are limited to ${MAX_NAME_BYTES} bytes)`);
      }
      if (this.pending[which]) throw new TarFormatError(`two ${what}s in a row at byte ${at}`);
      this.metaType = flag;
      this.meta = Buffer.alloc(size);
      this.metaUsed = 0;
      this.remaining = size;
      if (size === 0) {
        this.metaDone();
        this.state = 'header';
      } else {
        this.state = 'meta';
      }
      return;
    }

    const pending = this.pending;
    this.pending = {};
    const pax = pending.pax;
    const nameBytes = pax?.get('path') ?? pending.longName ?? headerName(block);
    const name = entryText(nameBytes, 'name', at);
    const refused = REFUSED_TYPES[flag];
    if (refused !== undefined) throw new TarFormatError(`tar entry ${quoteName(name)} is a ${refused}; bbr-ts accepts files, directories and links only`);
    const type: TarEntryType | undefined =
      flag === '0' || flag === '7' ? 'file' : flag === '1' ? 'link' : flag === '2' ? 'symlink' : flag === '5' ? 'directory' : undefined;
    if (type === undefined) {
      throw new TarFormatError(`tar entry ${quoteName(name)} has the unknown type '${escapeFlag(block[156]!)}'; bbr-ts accepts files, directories and links only`);
    }
    const paxSize = pax?.get('size');
    const entrySize = paxSize === undefined ? size : decimal(paxSize, `the pax size of ${quoteName(name)}`);
    this.lastSize = entrySize;
    let linkname = '';
    if (type === 'link' || type === 'symlink') {
      const linkBytes = pax?.get('linkpath') ?? pending.longLink ?? cString(block, 157, 100);
      linkname = entryText(linkBytes, `link target of ${quoteName(name)}`, at);
      if (linkname === '') throw new TarFormatError(`tar entry ${quoteName(name)} is a link without a target`);
    }
    // GNU tar extracts a "regular file" whose name ends in '/' as a directory (old BSD tar convention).
    if (type === 'file' && name.endsWith('/')) throw new TarFormatError(`tar entry ${quoteName(name)} is a file whose name ends in '/'`);

    this.handlers.entry({ name, type, linkname, size: entrySize, mode });
    this.passContent = type === 'file';
    this.remaining = entrySize;
    if (entrySize === 0) this.endOfContent();
    else this.state = 'content';
  }

  private metaDone(): void {
    const body = this.meta;
    this.meta = Buffer.alloc(0);
    if (this.metaType === 'x') {
      this.pending.pax = parsePax(body);
      return;
    }
    // GNU tar reads the name up to its terminating NUL.
    const end = body.indexOf(0);
    const bytes = Buffer.from(end === -1 ? body : body.subarray(0, end));
    if (bytes.length > MAX_NAME_BYTES) throw new TarFormatError(`a GNU long name of ${bytes.length} bytes (at most ${MAX_NAME_BYTES} accepted)`);
    if (this.metaType === 'L') this.pending.longName = bytes;
    else this.pending.longLink = bytes;
  }
}

function escapeFlag(byte: number): string {
  return byte >= 0x21 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
}

/** A NUL-terminated header field. */
function cString(block: Buffer, offset: number, length: number): Buffer {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return end === -1 ? field : field.subarray(0, end);
}

/** GNU tar (list.c): POSIX ustar (magic "ustar\0") joins prefix and name; GNU and v7 headers have no prefix. */
function headerName(block: Buffer): Buffer {
  const name = cString(block, 0, 100);
  const isUstar = block.subarray(257, 263).equals(Buffer.from('ustar\0', 'latin1'));
  if (!isUstar || block[345] === 0) return name;
  return Buffer.concat([cString(block, 345, 155), Buffer.from('/'), name]);
}

function entryText(bytes: Buffer, what: string, at: number): string {
  if (bytes.length > MAX_NAME_BYTES) {
    throw new TarFormatError(`a tar entry's ${what} at byte ${at} is ${bytes.length} bytes long (at most ${MAX_NAME_BYTES} accepted)`);
  }
  if (bytes.includes(0)) throw new TarFormatError(`a tar entry's ${what} at byte ${at} contains a NUL byte`);
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    throw new TarFormatError(
      `tar entry ${what} ${quoteBytes(bytes)} is not valid UTF-8; the metadata file can only record UTF-8 names (rename the file on the instance)`,
    );
  }
  if (text === '' && what === 'name') throw new TarFormatError(`a tar entry at byte ${at} has an empty name`);
  return text;
}

/** An octal field as GNU tar reads it (leading spaces, digits, then spaces or NULs), or base-256 (GNU, star). */
function numeric(block: Buffer, offset: number, length: number, field: string, at: number): number {
  const bad = () => new TarFormatError(`invalid tar header at byte ${at} (the ${field} field is not a number): not a tar, or a damaged one`);
  if (block[offset]! & 0x80) {
    // Negative base-256: GNU tar writes it for times before 1970; never valid for a size or mode.
    if (block[offset] === 0xff && field === 'mtime') return 0;
    if (block[offset] !== 0x80) throw bad();
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) {
      value = value * 256 + block[i]!;
      if (value > Number.MAX_SAFE_INTEGER) throw bad();
    }
    return value;
  }
  let i = offset;
  const end = offset + length;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < end && block[i]! >= 0x30 && block[i]! <= 0x37; i++, digits++) value = value * 8 + (block[i]! - 0x30);
  for (; i < end; i++) if (block[i] !== 0x20 && block[i] !== 0) throw bad();
  if (digits === 0) throw bad();
  return value;
}

function decimal(bytes: Buffer, what: string): number {
  const text = bytes.toString('latin1');
  if (!/^\d{1,16}$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) throw new TarFormatError(`${what} is not a number`);
  return Number(text);
}

/**
 * Pax records `<length> <key>=<value>\n`, read strictly. Keys GNU tar would act on in ways bbr-ts does not
 * model are refused: GNU.* (sparse maps, dump directories, volumes) and hdrcharset (raw-byte names). Other
 * keys either are modelled (path, linkpath, size) or do not change which files restore writes where (times,
 * owners; xattrs and ACLs, which `tar -x` ignores unless asked for them).
 */
function parsePax(body: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let at = 0;
  const malformed = (why: string) => new TarFormatError(`malformed pax extended header (${why})`);
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space === -1 || space - at > 7) throw malformed('no record length');
    const lengthText = body.toString('latin1', at, space);
    if (!/^[1-9]\d*$/.test(lengthText)) throw malformed('no record length');
    const length = Number(lengthText);
    const end = at + length;
    if (end > body.length || end <= space + 1 || body[end - 1] !== 0x0a) throw malformed('a record does not end where its length says');
    const record = body.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw malformed('a record without key=value');
    const key = record.toString('latin1', 0, equals);
    if (key.startsWith('GNU.') || key === 'hdrcharset') {
      throw new TarFormatError(`the pax extended header has the key '${key.slice(0, 64)}', which changes how GNU tar extracts an entry in a way bbr-ts does not check (sparse file, dump directory, volume or raw-byte names)`);
    }
    records.set(key, Buffer.from(record.subarray(equals + 1)));
    at = end;
  }
  return records;
}
