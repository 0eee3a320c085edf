// Names that become parts of paths: the deployment (artifact directory), instance groups, indexes and jobs
// (`<group>-<index>-<job>.tar`, /var/vcap/jobs/<job>, /var/vcap/store/bbr-backup/<job>), custom artifact names.
// They come from the manifest, the flags, the instances and artifact metadata, so any of them can be hostile.
// One rule for all, checked before anything is locked or written: a name is one path component, printable,
// and short enough for the file name it ends up in. Pure; used by every layer, hence here beside errors.ts.
import { escapeLine } from './report/escape.js';

/** NAME_MAX of Linux file systems (ext4, xfs, tmpfs): longer names fail with ENAMETOOLONG. */
export const MAX_FILE_NAME_BYTES = 255;

// C0, DEL and C1 controls, and the invisible characters that reorder or break lines when printed
// (bidi overrides and isolates, line and paragraph separators): a name is printed in messages and logs.
const UNPRINTABLE = /[\p{Cc}\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;
// A lone UTF-16 surrogate cannot be encoded in a file name; Node would silently write U+FFFD instead.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `name` cannot be one component of a path, or undefined when it can. Backslashes and spaces are fine. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return `'${name}' is not a name`;
  if (name.includes('/')) return "it contains '/'";
  if (name.includes('\0') || UNPRINTABLE.test(name)) return 'it contains a control character';
  if (LONE_SURROGATE.test(name)) return 'it is not valid Unicode';
  return lengthProblem(name);
}

/** Why a file name built from validated names (such as `<group>-<index>-<job>.tar`) is unusable: its length. */
export function lengthProblem(fileName: string): string | undefined {
  const bytes = Buffer.byteLength(fileName, 'utf8');
  return bytes > MAX_FILE_NAME_BYTES ? `it is ${bytes} bytes long; at most ${MAX_FILE_NAME_BYTES} are allowed` : undefined;
}

/**
 * `"name"` with every character a terminal would act on shown as visible text (`\x1b`, `\u{202e}`, the same
 * notation as every other output: report/escape.ts), so an error can show a hostile name as it is without handing
 * its control characters to whatever prints the message (a JSON log or --summary-json included).
 */
export function quoteName(name: string): string {
  const loneSurrogates = /\p{Cs}/gu;
  return `"${escapeLine(name).replace(loneSurrogates, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`)}"`;
}

/** A hint for every refusal: what a name may hold, and why the rule exists. */
export const NAME_HINT =
  'names become file and directory names (the artifact directory, <group>-<index>-<job>.tar): ' +
  "they must not be empty, '.' or '..', nor contain '/' or control characters, and must fit in 255 bytes";
