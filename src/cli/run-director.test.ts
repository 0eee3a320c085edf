// Director mode's --host parsing and its one target (BBR: bosh/0, port 22 by default).
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { directorTarget, parseDirectorHost } from './run-director.js';

describe('parseDirectorHost', () => {
  it.each([
    ['10.0.0.6', '10.0.0.6', 22],
    ['10.0.0.6:2222', '10.0.0.6', 2222],
    ['director.example.com', 'director.example.com', 22],
    [' director:22 ', 'director', 22],
    ['[fd00::6]', 'fd00::6', 22],
    ['[fd00::6]:2222', 'fd00::6', 2222],
  ])('reads %j', (text, host, port) => {
    expect(parseDirectorHost(text)).toEqual({ host, port });
  });

  it.each(['', ':22', '10.0.0.6:', '10.0.0.6:port', '10.0.0.6:0', '10.0.0.6:70000', 'fd00::6', 'a b', '../../x', '[../../x]', '..', '[a\x1b]'])('refuses %j', (text) => {
    expect(() => parseDirectorHost(text)).toThrow(UsageError);
  });
});

describe('directorTarget', () => {
  it('is bosh/0 on the given host', () => {
    expect(directorTarget({ host: '10.0.0.6:2222' })).toEqual({ group: 'bosh', index: 0, name: 'bosh/0', host: '10.0.0.6', port: 2222, jobs: [] });
  });
});
