import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (text: string) => lines.push(...text.split('\n').filter(Boolean)) } };
}

describe('createLogger', () => {
  it('writes NDJSON with ISO time, level names and redacted secrets', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', format: 'json', destination: out.destination as never });
    logger.child({ instance: 'db/0', job: 'db' }).info({ step: 'backup', durationMs: 5, privateKey: 'KEY', ssh: { passphrase: 'p' } }, 'script finished');
    logger.debug('hidden at info');
    expect(out.lines).toHaveLength(1);
    const entry = JSON.parse(out.lines[0]!);
    expect(entry).toMatchObject({ level: 'info', msg: 'script finished', instance: 'db/0', job: 'db', step: 'backup', durationMs: 5, name: 'bbr-ts' });
    expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(entry.privateKey).toBe('[redacted]');
    expect(entry.ssh.passphrase).toBe('[redacted]');
  });

  it('writes readable lines in text format', () => {
    const out = capture();
    createLogger({ level: 'debug', format: 'text', destination: out.destination as never }).debug({ instance: 'db/0', detail: 'two words' }, 'step started');
    expect(out.lines[0]).toMatch(/^\S+ DEBUG step started instance=db\/0 detail="two words"$/);
  });
});

describe('createLogger text format', () => {
  it('escapes control characters in messages and values, one line per entry', () => {
    const out = capture();
    createLogger({ level: 'info', format: 'text', destination: out.destination as never })
      .child({ job: 'db\x1b[2J' })
      .error({ detail: '\x1b]0;pwned\x07 All good\r', error: { message: 'a\u009b2Jb\nc\u202e' } }, 'script\x1b[31m failed');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/);
    expect(out.lines[0]).toContain('ERROR script\\x1b[31m failed job=db\\x1b[2J detail="\\u001b]0;pwned\\u0007 All good\\r"');
    expect(out.lines[0]).toContain('\\x9b2Jb\\nc\\u{202e}');
  });
});
