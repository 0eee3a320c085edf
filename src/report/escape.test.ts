import { describe, expect, it } from 'vitest';
import { escapeLine, escapeLines } from './escape.js';

const HOSTILE = '\x1b]0;pwned\x07\x1b[2J All good\r';

describe('escapeLine', () => {
  it('shows C0 controls, DEL and C1 controls as \\xNN, CR and LF by name', () => {
    expect(escapeLine(HOSTILE)).toBe('\\x1b]0;pwned\\x07\\x1b[2J All good\\r');
    expect(escapeLine('a\nb\x00\x7f\x80\x9b\x9fc')).toBe('a\\nb\\x00\\x7f\\x80\\x9b\\x9fc');
  });

  it('shows bidi overrides, isolates and marks and the Unicode line separators as \\u{...}', () => {
    expect(escapeLine('x\u202ey\u2066z\u2069\u200f\u061c\u2028\u2029')).toBe('x\\u{202e}y\\u{2066}z\\u{2069}\\u{200f}\\u{61c}\\u{2028}\\u{2029}');
  });

  it('leaves printable text, tabs and other Unicode alone, and is idempotent', () => {
    const text = 'web/0 db\tjob ✗ é 数据 \u00a0';
    expect(escapeLine(text)).toBe(text);
    expect(escapeLine(escapeLine(HOSTILE))).toBe(escapeLine(HOSTILE));
  });
});

describe('escapeLines', () => {
  it('keeps newlines but escapes CR and the rest', () => {
    expect(escapeLines(`first\n${HOSTILE}\nlast`)).toBe('first\n\\x1b]0;pwned\\x07\\x1b[2J All good\\r\nlast');
  });
});
