// s3://BUCKET/PREFIX locations and S3's limits, without the AWS SDK: the CLI reads these at every start, and
// the SDK (s3-store.ts) is only loaded when an s3:// path is used.
import { UsageError } from '../errors.js';

export const S3_SCHEME = 's3://';
/** S3's limits: parts of 5 MiB to 5 GiB, at most 10,000 of them per object. */
export const S3_MIN_PART_MIB = 5;
export const S3_MAX_PART_MIB = 5 * 1024;
export const S3_MAX_PARTS = 10_000;
/** 16 MiB parts: objects up to 156 GiB (10,000 parts); 4 in flight, so about 96 MiB of buffers per artifact. */
export const DEFAULT_PART_MIB = 16;
export const PARTS_IN_FLIGHT = 4;

export function isS3Location(location: string): boolean {
  return location.toLowerCase().startsWith(S3_SCHEME);
}

/** `s3://bucket/a/b` -> bucket and key prefix `a/b` (no slashes at either end; may be empty). */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const rest = location.slice(S3_SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = (slash === -1 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$/.test(bucket)) {
    throw new UsageError(`${location}: '${bucket}' is not a bucket name`, { hint: 'write it as s3://BUCKET/PREFIX, e.g. s3://backups/cf' });
  }
  const segments = prefix === '' ? [] : prefix.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..') || /[\u0000-\u001f\u007f]/.test(prefix)) {
    throw new UsageError(`${location}: the prefix has an empty, '.' or '..' segment or a control character`, { hint: 'write it as s3://BUCKET/PREFIX, e.g. s3://backups/cf' });
  }
  return { bucket, prefix };
}

