import { describe, expect, it } from 'vitest';
import { lengthProblem, nameProblem, quoteName } from './names.js';

describe('nameProblem', () => {
  it.each(['web', 'redis-server', 'a.b', 'back\\slash', 'with space', 'ünïcødé', 'x'.repeat(255), '...'])('accepts %j', (name) => {
    expect(nameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['.', "'.' is not a name"],
    ['..', "'..' is not a name"],
    ['../../X', "it contains '/'"],
    ['j/../../other', "it contains '/'"],
    ['ev\x1b[2Jil', 'it contains a control character'],
    ['nul\0', 'it contains a control character'],
    ['line\nbreak', 'it contains a control character'],
    ['c1\u009b', 'it contains a control character'],
    ['bidi\u202ecod.exe', 'it contains a control character'],
    ['lone\ud800', 'it is not valid Unicode'],
    ['x'.repeat(256), 'it is 256 bytes long; at most 255 are allowed'],
    ['é'.repeat(128), 'it is 256 bytes long; at most 255 are allowed'],
  ])('refuses %j: %s', (name, problem) => {
    expect(nameProblem(name)).toBe(problem);
  });
});

describe('lengthProblem', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(lengthProblem('a'.repeat(255))).toBeUndefined();
    expect(lengthProblem('€'.repeat(86))).toBe('it is 258 bytes long; at most 255 are allowed');
  });
});

describe('quoteName', () => {
  it('shows every refused character as visible text, never raw, as the rest of the output does', () => {
    expect(quoteName('ev\x1b[2Jil')).toBe(String.raw`"ev\x1b[2Jil"`);
    expect(quoteName('c1\u009b bidi\u202e')).toBe(String.raw`"c1\x9b bidi\u{202e}"`);
    expect(quoteName('line\nbreak\r')).toBe(String.raw`"line\nbreak\r"`);
    expect(quoteName('lone\ud800')).toBe(String.raw`"lone\u{d800}"`);
    expect(quoteName('plain name')).toBe('"plain name"');
  });
});
