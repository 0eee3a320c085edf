import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import type { ArtifactStore, NewBackup, StoredBackup } from '../orchestrate/artifact-store.js';
import { layerOverStore, layerUnderBackup } from './store-layer.js';

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

describe('layerUnderBackup', () => {
  const innerBackup = (files: Record<string, string>): StoredBackup => ({
    location: '/backups/d_20260101T000000Z',
    cheapToRead: true,
    describe: (file) => `/backups/d_20260101T000000Z/${file}`,
    notComplete: async () => undefined,
    readMetadata: async () => files.metadata ?? '',
    size: async (file) => (Object.hasOwn(files, file) ? Buffer.byteLength(files[file]!) : undefined),
    hasFile: async (file) => Object.hasOwn(files, file),
    openChecked: async (file) => ({ size: Buffer.byteLength(files[file]!), stream: Readable.from([Buffer.from(files[file]!)]) }),
    open: (file) => Readable.from([Buffer.from(files[file]!)]),
    listTars: async () => Object.keys(files).filter((f) => f.endsWith('.tar')),
  });
  const upper = (_file: string, stored: Readable) => stored.map((chunk: Buffer) => Buffer.from(chunk.toString().toUpperCase()));
  const text = async (stream: Readable) => Buffer.concat(await stream.toArray()).toString();

  it('reads a file the layer wrote through it, under its stored name, with its plain size', async () => {
    const backup = layerUnderBackup(innerBackup({ 'web-0-app.tar.x': 'abc', metadata: 'm' }), { suffix: '.x', files: { 'web-0-app.tar': { plaintextBytes: 3 } }, decode: upper });
    expect(backup.describe('web-0-app.tar')).toBe('/backups/d_20260101T000000Z/web-0-app.tar.x');
    expect(await backup.size('web-0-app.tar')).toBe(3);
    expect(await backup.hasFile('web-0-app.tar')).toBe(true);
    expect(await text(backup.open('web-0-app.tar'))).toBe('ABC');
    const opened = await backup.openChecked('web-0-app.tar', 'hint');
    expect(opened.size).toBe(3);
    expect(await text(opened.stream)).toBe('ABC');
    expect(await backup.listTars()).toEqual(['web-0-app.tar']);
  });

  it('reads any other file from the inner backup as it is, and never takes a prototype key for a layered file', async () => {
    const backup = layerUnderBackup(innerBackup({ 'old.tar': 'plain', metadata: 'm' }), { suffix: '.x', files: {}, decode: upper });
    expect(await text(backup.open('old.tar'))).toBe('plain');
    expect(backup.describe('constructor')).toBe('/backups/d_20260101T000000Z/constructor');
    expect(await backup.hasFile('__proto__')).toBe(false);
    expect(await backup.listTars()).toEqual(['old.tar']);
  });
});
