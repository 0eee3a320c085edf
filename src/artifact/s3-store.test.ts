import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { parseBackupName } from './file-names.js';
import { isS3Location, parseS3Location } from './s3-location.js';
import { s3Failure, s3Store } from './s3-store.js';

describe('s3 locations', () => {
  it('splits s3://bucket/prefix into bucket and a prefix without slashes at either end', () => {
    expect(isS3Location('s3://b/x')).toBe(true);
    expect(isS3Location('/var/backups')).toBe(false);
    expect(parseS3Location('s3://backups')).toEqual({ bucket: 'backups', prefix: '' });
    expect(parseS3Location('s3://backups/')).toEqual({ bucket: 'backups', prefix: '' });
    expect(parseS3Location('s3://backups/cf/prod/')).toEqual({ bucket: 'backups', prefix: 'cf/prod' });
  });

  it('refuses bucket names and prefixes that cannot be meant', () => {
    for (const bad of ['s3://', 's3:///x', 's3://bk/a//c', 's3://bk/../x', 's3://bk/a/./c', 's3://bk/a\u001bc', 's3://b/x']) {
      expect(() => parseS3Location(bad), bad).toThrow(UsageError);
    }
  });

  it('names new backups in the local layout, under the prefix', () => {
    expect(s3Store('s3://backups/cf/', { region: 'us-east-1' }).describeNew('example_20240501T100001Z')).toBe('s3://backups/cf/example_20240501T100001Z');
    expect(s3Store('s3://backups', { region: 'us-east-1' }).describeNew('example_20240501T100001Z')).toBe('s3://backups/example_20240501T100001Z');
  });

  it('refuses part sizes S3 does not accept', () => {
    for (const mib of [4, 5121, 7.5]) expect(() => s3Store('s3://bucket/x', { partSizeMiB: mib }), String(mib)).toThrow(/--s3-part-size/);
  });
});

describe('backup names', () => {
  it('reads deployment and UTC time from <deployment>_<timestamp>', () => {
    expect(parseBackupName('my_dep_20240501T100001Z')).toEqual({ deployment: 'my_dep', time: new Date('2024-05-01T10:00:01Z') });
    expect(parseBackupName('example_20240501T100001Z.partial')).toBeUndefined();
    expect(parseBackupName('notes')).toBeUndefined();
  });
});

describe('S3 failure hints', () => {
  const unreachable = /S3 endpoint .* is reachable/;

  it('tell an unreachable endpoint by the socket error code the SDK passes on', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const store = s3Store('s3://bucket/x', { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', pathStyle: true });
    const [failure] = await store.checkWritable(new AbortController().signal);
    expect(failure?.hint).toMatch(unreachable);
  }, 60_000);

  it('tell TLS and timeout failures by code or name, whatever their message says', () => {
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(s3Failure('listing', 's3://b/x', 'b', tls).hint).toMatch(unreachable);
    const timeout = Object.assign(new Error('request timed out'), { name: 'TimeoutError' });
    expect(s3Failure('listing', 's3://b/x', 'b', timeout).hint).toMatch(unreachable);
    // Prose that merely mentions a certificate is not a TLS failure.
    expect(s3Failure('listing', 's3://b/x', 'b', new Error('the certificate field of the object is empty')).hint).not.toMatch(unreachable);
  });
});
