// Builds tar archives byte by byte, including the hostile ones no honest `tar -c` writes: global pax headers,
// sparse and device entries, names that are not UTF-8, oversized long names. Header layout: POSIX ustar
// (GNU tar's list.c reads the same fields).

export interface CraftEntry {
  /** Name bytes (a string is written as UTF-8). */
  name: string | Uint8Array;
  /** Type flag character: '0' file, '1' hard link, '2' symlink, '5' directory, 'x' pax, 'g' global pax, 'L', 'S', ... */
  type?: string;
  content?: string | Uint8Array;
  linkname?: string | Uint8Array;
  mode?: number;
  /** Overrides the size field (e.g. to announce a body that is streamed separately). */
  size?: number;
  /** 'ustar' (POSIX, default) or 'gnu' ("ustar  \0"). */
  magic?: 'ustar' | 'gnu';
}

const bytesOf = (value: string | Uint8Array): Buffer => (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value));

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

/** One 512-byte header block with a correct checksum. */
export function tarHeader(entry: CraftEntry): Buffer {
  const block = Buffer.alloc(512);
  const name = bytesOf(entry.name);
  if (name.length > 100) throw new Error('tarHeader: name longer than 100 bytes; use a long-name or pax entry');
  name.copy(block, 0);
  block.write(octal(entry.mode ?? 0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  const size = entry.size ?? (entry.content === undefined ? 0 : bytesOf(entry.content).length);
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(1_700_000_000, 12), 136, 'latin1');
  block.write(entry.type ?? '0', 156, 'latin1');
  if (entry.linkname !== undefined) bytesOf(entry.linkname).copy(block, 157);
  block.write(entry.magic === 'gnu' ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return block;
}

function padded(body: Buffer): Buffer {
  const rest = body.length % 512;
  return rest === 0 ? body : Buffer.concat([body, Buffer.alloc(512 - rest)]);
}

/** A pax record `<len> key=value\n` (value as bytes). */
export function paxRecord(key: string, value: string | Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), bytesOf(value), Buffer.from('\n')]);
  let length = body.length + String(body.length).length;
  if (String(length).length !== String(body.length).length) length++;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

/** Header plus content padded to whole blocks. */
export function tarEntry(entry: CraftEntry): Buffer {
  const content = entry.content === undefined ? Buffer.alloc(0) : bytesOf(entry.content);
  return Buffer.concat([tarHeader(entry), padded(content)]);
}

/** A whole archive: the entries, then two zero blocks. */
export function craftTar(entries: (CraftEntry | Buffer)[]): Buffer {
  return Buffer.concat([...entries.map((e) => (Buffer.isBuffer(e) ? e : tarEntry(e))), Buffer.alloc(1024)]);
}

/** An entry preceded by a pax extended header with the given records. */
export function withPax(records: [string, string | Uint8Array][], entry: CraftEntry): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  return Buffer.concat([tarEntry({ name: 'PaxHeaders/x', type: 'x', content: body }), tarEntry(entry)]);
}

/** An entry preceded by a GNU long-name ('L') header carrying `longName`. */
export function withLongName(longName: string | Uint8Array, entry: CraftEntry): Buffer {
  const body = Buffer.concat([bytesOf(longName), Buffer.alloc(1)]);
  return Buffer.concat([tarEntry({ name: '././@LongLink', type: 'L', content: body, magic: 'gnu' }), tarEntry({ ...entry, magic: 'gnu' })]);
}
