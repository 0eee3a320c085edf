import { describe, expect, it } from 'vitest';
import type { ArtifactStore, NewBackup } from '../orchestrate/artifact-store.js';
import { layerOverStore } from './store-layer.js';

// A class, as the real stores are: its methods live on the prototype, where a spread does not reach.
class RecordingStore implements ArtifactStore {
  readonly location = 's3://bucket/prefix';
  readonly calls: string[] = [];
  async checkWritable() {
    this.calls.push('checkWritable');
    return [];
  }
  describeNew(name: string) {
    return `${this.location}/${name}`;
  }
  async create(name: string) {
    this.calls.push(`create ${name}`);
    return { location: name } as unknown as NewBackup;
  }
  backup(): never {
    throw new Error('not used');
  }
  async list() {
    this.calls.push('list');
    return [];
  }
  async removeBackup(name: string) {
    this.calls.push(`remove ${name}`);
  }
}

describe('layerOverStore', () => {
  it('wraps only new backups and delegates every other member, optional ones included, to the inner store', async () => {
    const inner = new RecordingStore();
    const layered = layerOverStore(inner, (backup) => ({ ...backup, location: `${backup.location} (layered)` }));
    expect(layered.location).toBe('s3://bucket/prefix');
    expect(layered.describeNew('d_20260101T000000Z')).toBe('s3://bucket/prefix/d_20260101T000000Z');
    expect((await layered.create('x')).location).toBe('x (layered)');
    await layered.checkWritable(new AbortController().signal);
    await layered.list();
    await layered.removeBackup!('old');
    expect(inner.calls).toEqual(['create x', 'checkWritable', 'list', 'remove old']);
  });

  it('leaves out what the inner store does not offer', () => {
    const inner = new RecordingStore();
    Object.defineProperty(inner, 'removeBackup', { value: undefined });
    expect(layerOverStore(inner, (b) => b).removeBackup).toBeUndefined();
  });
});
