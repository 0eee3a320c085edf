import { describe, expect, it } from 'vitest';
import { SCRIPT_NAMES } from '../contract/paths.js';
import { closestName, editDistance } from './edit-distance.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('unlok', 'unlock')).toBe(1);
  });
});

describe('closestName', () => {
  it('suggests the script name a typo meant', () => {
    expect(closestName('post-backup-unlok', SCRIPT_NAMES)).toBe('post-backup-unlock');
    expect(closestName('pre-backup-lcok', SCRIPT_NAMES)).toBe('pre-backup-lock');
    expect(closestName('Restore', SCRIPT_NAMES)).toBe('restore');
    expect(closestName('backup.sh', SCRIPT_NAMES)).toBe('backup');
    expect(closestName('metdata', SCRIPT_NAMES)).toBe('metadata');
  });

  it('suggests nothing for unrelated names', () => {
    expect(closestName('README.md', SCRIPT_NAMES)).toBeUndefined();
    expect(closestName('helpers', SCRIPT_NAMES)).toBeUndefined();
  });
});
