// Text that came from an instance (job names, script output), an artifact directory or the command line
// reaches the operator's terminal through every human-readable writer. Printed raw, an ESC or OSC sequence
// could clear the screen and print "All good" over a failure or rename the terminal window, a CR could
// overwrite a line, and a bidi override could make a line read differently from what it holds. Every such
// writer passes content through these functions, which show those characters as visible text instead.
// Our own escape codes (colours, the live view's cursor movement) are added after escaping, never before.

// C0 controls except tab (and newline, kept by escapeLines), DEL, C1 controls, the Unicode line and paragraph
// separators, and the bidi marks, embeddings, overrides and isolates used in "Trojan Source" (CVE-2021-42574).
const UNSAFE = '\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE_IN_LINE = new RegExp(`[\\n${UNSAFE}]`, 'g');
const UNSAFE_IN_LINES = new RegExp(`[${UNSAFE}]`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

function visible(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
}

/** One line of output: every unsafe character, newline included, becomes visible text (`\x1b`, `\n`, `\u{202e}`). */
export function escapeLine(text: string): string {
  return text.replace(UNSAFE_IN_LINE, visible);
}

/** Multi-line output: like escapeLine, but newlines stay newlines (a CR does not: it could overwrite a line). */
export function escapeLines(text: string): string {
  return text.replace(UNSAFE_IN_LINES, visible);
}
