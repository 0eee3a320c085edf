// Names that came from an instance or an artifact, made safe to quote in a message: escaped (control characters,
// quotes and backslashes as in a JavaScript string) and cut to a length a terminal can show, whatever the
// name's size. The escaping here is for readability; the output layer still escapes what reaches a terminal.

/** Longest name part quoted in a message; the rest becomes '…'. */
export const QUOTED_NAME_CHARS = 200;

/** `'./some name'`, escaped and at most QUOTED_NAME_CHARS characters of the name. */
export function quoteName(name: string): string {
  const cut = name.length > QUOTED_NAME_CHARS ? `${name.slice(0, QUOTED_NAME_CHARS)}…` : name;
  // JSON.stringify escapes control characters, quotes and backslashes; drop its double quotes for single ones.
  const escaped = JSON.stringify(cut).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'");
  return `'${escaped}'`;
}

/**
 * Raw name bytes that are not UTF-8, shown with each byte of an invalid sequence as \xNN (the metadata file is
 * YAML text, so such a name could not be stored byte-exactly).
 */
export function quoteBytes(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length && text.length < QUOTED_NAME_CHARS; i++) {
    const byte = bytes[i]!;
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x27 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `'${text}${text.length >= QUOTED_NAME_CHARS ? '…' : ''}'`;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}
