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
