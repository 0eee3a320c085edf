// --artifact-path as a local folder or s3://BUCKET/PREFIX, and the flags that reach object storage. The
// credentials come from the AWS SDK's default chain (environment, AWS_PROFILE, instance roles), never flags.
import type { Argv } from 'yargs';
import { localStore } from '../artifact/local-store.js';
import { DEFAULT_PART_MIB, isS3Location, PARTS_IN_FLIGHT, S3_MAX_PARTS } from '../artifact/s3-location.js';
import type { ArtifactStore } from '../orchestrate/artifact-store.js';
import { declareOptions, defineOptions, type OptionsOf } from './option-table.js';

const GROUP = 'Object storage (--artifact-path s3://BUCKET/PREFIX):';

export const S3_PART_SIZE_DESCRIPTION =
  `MiB per multipart-upload part. Memory for each artifact being uploaded is about part size x ${PARTS_IN_FLIGHT + 2} ` +
  `(${PARTS_IN_FLIGHT} parts in flight plus the one being assembled, briefly held twice), whatever the artifact's size, ` +
  `plus some 50 MB for the S3 client once; the largest artifact is part size x ${S3_MAX_PARTS} (S3's part limit): ` +
  `the default ${DEFAULT_PART_MIB} MiB gives about ${DEFAULT_PART_MIB * (PARTS_IN_FLIGHT + 2)} MiB per artifact ` +
  `and artifacts up to ${Math.floor((DEFAULT_PART_MIB * S3_MAX_PARTS) / 1024)} GiB (bench figure 9: peak RSS 284 MB for 1 GiB, 301 MB for 4 GiB)`;

export const STORAGE_OPTIONS = defineOptions({
  s3Endpoint: { flag: 's3-endpoint', type: 'string', describe: 'S3 endpoint URL for a self-hosted S3 (default: AWS_ENDPOINT_URL_S3, else AWS)', group: GROUP },
  s3Region: { flag: 's3-region', type: 'string', describe: 'region to sign requests for (default: AWS_REGION or the profile\'s, else us-east-1)', group: GROUP },
  s3PathStyle: { flag: 's3-path-style', type: 'boolean', default: false, describe: 'path-style requests (http://host/bucket/key), as MinIO, Swift, Ceph and most self-hosted servers need', group: GROUP },
  s3CaCert: { flag: 's3-ca-cert', type: 'string', describe: 'PEM file of CA certificate(s) the endpoint\'s TLS certificate is checked against', group: GROUP },
  s3PartSizeMiB: { flag: 's3-part-size', type: 'number', default: DEFAULT_PART_MIB, describe: S3_PART_SIZE_DESCRIPTION, group: GROUP },
});

export type StorageFlags = OptionsOf<typeof STORAGE_OPTIONS>;

export function storageOptions<T>(y: Argv<T>): Argv<T> {
  return declareOptions(y, STORAGE_OPTIONS);
}

/**
 * The store behind an --artifact-path: object storage for s3://..., else a local folder. The AWS SDK is loaded
 * only here, when it is needed: it costs about a second of start-up.
 */
export async function openStore(location: string, flags: StorageFlags | undefined, report: (message: string) => void): Promise<ArtifactStore> {
  if (!isS3Location(location)) return localStore(location);
  const { s3Store } = await import('../artifact/s3-store.js');
  return s3Store(location, {
    endpoint: flags?.s3Endpoint,
    region: flags?.s3Region,
    pathStyle: flags?.s3PathStyle,
    caCertFile: flags?.s3CaCert,
    partSizeMiB: flags?.s3PartSizeMiB,
    report,
  });
}
