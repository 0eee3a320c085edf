// The S3 server of the e2e tests (fixtures/s3/server.mjs: Swift + s3api), with an S3 client for looking at
// what bbr-ts wrote. Tests may import the AWS SDK; in src/ only the S3 store does.
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startS3Server as startSwift, swiftInstalled } from '../../fixtures/s3/server.mjs';

// The SDK's notice about Node < 22 (future SDK versions) is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export { swiftInstalled };

export interface S3Server {
  readonly endpoint: string;
  readonly dir: string;
  /** Environment for bbr-ts: credentials the AWS way, and the endpoint. */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** Flags for bbr-ts besides the environment. */
  readonly flags: string[];
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** Every key under a prefix, with sizes. */
  list(bucket: string, prefix?: string): Promise<{ key: string; size: number }[]>;
  openUploads(bucket: string, prefix?: string): Promise<string[]>;
  get(bucket: string, key: string): Promise<Buffer>;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  /** SIGKILL every server process (a crash); `start()` brings it back on the same data. */
  kill(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3Server(options: { ip: string; port?: number }): Promise<S3Server> {
  const swift = await startSwift(options);
  const client = new S3Client({
    endpoint: swift.endpoint,
    region: swift.region,
    forcePathStyle: true,
    credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint: swift.endpoint,
    dir: swift.dir,
    flags: ['--s3-path-style'],
    env: (overrides = {}) => ({
      AWS_ACCESS_KEY_ID: swift.accessKeyId,
      AWS_SECRET_ACCESS_KEY: swift.secretAccessKey,
      AWS_REGION: swift.region,
      AWS_ENDPOINT_URL_S3: swift.endpoint,
      ...overrides,
    }),
    client: () => client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async list(bucket, prefix = '') {
      const found: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) found.push({ key: o.Key!, size: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return found;
    },
    async openUploads(bucket, prefix = '') {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return (page.Uploads ?? []).map((u) => u.Key!);
    },
    async get(bucket, key) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await got.Body!.transformToByteArray());
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    kill: () => swift.kill(),
    start: () => swift.start(),
    async stop() {
      client.destroy();
      await swift.stop();
    },
  };
}
