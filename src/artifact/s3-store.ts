// The artifact store in S3-compatible object storage (AWS S3, MinIO, Ceph, OpenStack Swift's s3api), the only
// module that imports the AWS SDK. The layout is the local one: `PREFIX/<deployment>_<timestamp>/<file>`.
//
// Nothing touches this machine's disk: each artifact streams into a multipart upload, so memory is bounded by
// part size x parts in flight per artifact. A backup is complete exactly when its `metadata` object exists,
// and `metadata` is written last, only for a complete backup. A failed run aborts its multipart uploads,
// deletes what it wrote and leaves a `.bbr-ts-failed` marker, so it is never taken for a good backup.
//
// Swift 2.30's s3api (the e2e tests' server) rejects aws-chunked streaming payloads and wants Content-MD5 on
// DeleteObjects: checksums are only sent when an operation requires them, and single deletes are used.
// Integrity never relies on the server: the tool hashes every file while streaming and compares on read.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path/posix';
import { PassThrough, Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ArtifactError, UsageError } from '../errors.js';
import { MAX_METADATA_BYTES } from './read-input-file.js';
import { DEFAULT_PART_MIB, parseS3Location, PARTS_IN_FLIGHT, S3_MAX_PART_MIB, S3_MAX_PARTS, S3_MIN_PART_MIB, S3_SCHEME } from './s3-location.js';

const MiB = 1024 * 1024;
import { parseBackupName } from './file-names.js';
import { type ArtifactStore, type ListedBackup, type NewBackup, type StoredBackup } from '../orchestrate/artifact-store.js';
import { serializeBackupMetadata, type BackupMetadata } from './metadata-file.js';
import { acquireS3RunLock, lockFolder, type LockObjects } from './s3-run-lock.js';

/** Marks a backup that failed; its other objects were removed. */
export const FAILED_MARKER = '.bbr-ts-failed';
/** Bounded retries of the SDK (exponential backoff with jitter) for throttling, 5xx and network errors. */
const MAX_ATTEMPTS = 5;
/** How long a failed run keeps trying to remove what it wrote when S3 is unreachable. */
const DISCARD_PATIENCE_MS = 60_000;

export interface S3Settings {
  /** --s3-endpoint; otherwise AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL or AWS itself (read by the SDK). */
  endpoint?: string;
  /** --s3-region; otherwise AWS_REGION or the profile's region, else us-east-1. */
  region?: string;
  /** Path-style requests (MinIO, Swift, Ceph, ECS): http://host/bucket/key. */
  pathStyle?: boolean;
  /** A PEM file of CA certificates for a self-hosted endpoint. */
  caCertFile?: string;
  partSizeMiB?: number;
  /** Retries and other things worth telling the operator (never secrets). */
  report?: (message: string) => void;
}

export function createS3Client(settings: S3Settings): S3Client {
  // The SDK warns on Node < 22 about versions published after January 2027; this build's versions are pinned
  // by package-lock.json and support Node 20, and the warning would land on every run's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config: S3ClientConfig = {
    region: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? defaultRegion(),
    forcePathStyle: settings.pathStyle ?? false,
    maxAttempts: MAX_ATTEMPTS,
    // Streamed bodies with a checksum trailer (aws-chunked) are not supported everywhere (Swift: 501); the
    // tool checks integrity itself, end to end.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: 10_000,
      // No byte for this long on an open request: give up (the SDK retries, boundedly).
      requestTimeout: 120_000,
      ...(settings.caCertFile ? { httpsAgent: new https.Agent({ keepAlive: true, ca: readCaFile(settings.caCertFile) }) } : {}),
    },
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  const client = new S3Client(config);
  // Reports operations that needed retries (bounded by MAX_ATTEMPTS); the SDK hides them otherwise.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      const attempts = output.output.$metadata?.attempts ?? 1;
      if (attempts > 1) settings.report?.(`S3 ${context.commandName ?? 'request'} succeeded after ${attempts} attempts (transient errors were retried with backoff)`);
      return output;
    },
    { step: 'initialize', name: 'bbrTsReportRetries' },
  );
  return client;
}

/**
 * The SDK's own region chain (AWS_REGION, the profile in ~/.aws/config, ...), borrowed from a client that is
 * never used to send, with S3's default region when nothing names one rather than a failure.
 */
function defaultRegion(): () => Promise<string> {
  const chain = new S3Client({}).config.region;
  return async () => {
    try {
      return await chain();
    } catch {
      return 'us-east-1';
    }
  };
}

function readCaFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`--s3-ca-cert ${file}: cannot read it: ${(error as Error).message}`, { hint: 'pass a PEM file with the CA certificate(s) of the S3 endpoint' });
  }
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** One line about an SDK failure: its code, HTTP status and attempts, never credentials. */
function describeS3Error(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts;
  const name = e.name && e.name !== 'Error' ? e.name : e.code;
  const message = (e.message ?? String(error)).replace(/\s+/g, ' ').trim();
  const parts = [name, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
  return `${parts ? `${parts}: ` : ''}${message || 'no message'}${attempts && attempts > 1 ? ` (after ${attempts} attempts)` : ''}`;
}

function hintFor(error: unknown, bucket: string): string {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? e.code ?? '';
  if (name === 'NoSuchBucket') return `create the bucket '${bucket}' first, or fix the bucket name in --artifact-path`;
  if (/SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|InvalidToken|ExpiredToken|Forbidden|CredentialsProvider|Credential/i.test(name) || status === 403) {
    return 'check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, or AWS_PROFILE) and that they may write, list, read and delete in the bucket; with a self-hosted S3, also --s3-region';
  }
  // Node's socket and TLS errors reach us as they are (the SDK adds $metadata): told by their code, not their prose.
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|TimeoutError|.*CERT.*|UNABLE_TO_VERIFY.*|ERR_TLS_.*)$/.test(e.code ?? '') || e.name === 'TimeoutError') {
    return 'check that the S3 endpoint (--s3-endpoint or AWS_ENDPOINT_URL_S3) is reachable, --s3-path-style for self-hosted servers, and --s3-ca-cert for a private CA';
  }
  return 'check the S3 endpoint, bucket and credentials, then run again';
}

export function s3Failure(action: string, url: string, bucket: string, error: unknown): ArtifactError {
  if (error instanceof ArtifactError) return error;
  return new ArtifactError(`${action} ${url} failed: ${describeS3Error(error)}`, { cause: error, hint: hintFor(error, bucket) });
}

interface Listed {
  key: string;
  size: number;
}

export function s3Store(location: string, settings: S3Settings): ArtifactStore {
  const { bucket, prefix } = parseS3Location(location);
  const partSizeMiB = settings.partSizeMiB ?? DEFAULT_PART_MIB;
  if (!(Number.isInteger(partSizeMiB) && partSizeMiB >= S3_MIN_PART_MIB && partSizeMiB <= S3_MAX_PART_MIB)) {
    throw new UsageError(`--s3-part-size ${partSizeMiB}: must be a whole number of MiB from ${S3_MIN_PART_MIB} to ${S3_MAX_PART_MIB}`, {
      hint: `the default ${DEFAULT_PART_MIB} MiB allows artifacts up to ${Math.floor((DEFAULT_PART_MIB * S3_MAX_PARTS) / 1024)} GiB`,
    });
  }
  const client = createS3Client(settings);
  const url = (key: string) => `${S3_SCHEME}${bucket}/${key}`;
  const keyOf = (...parts: string[]) => {
    const kept = [prefix, ...parts].filter((p) => p !== '');
    return kept.length === 0 ? '' : path.join(...kept);
  };
  /** Keys strictly below the location: `prefix/` (so `cf` does not take in `cf2/...`), or everything. */
  const below = prefix === '' ? '' : `${prefix}/`;
  const base = prefix === '' ? `${S3_SCHEME}${bucket}` : url(prefix);
  const fail = (action: string, key: string, error: unknown) => s3Failure(action, url(key), bucket, error);

  const listAll = async (keyPrefix: string, signal?: AbortSignal): Promise<Listed[]> => {
    const found: Listed[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }), { abortSignal: signal });
      for (const o of page.Contents ?? []) if (o.Key !== undefined) found.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  };
  const openUploads = async (keyPrefix: string): Promise<{ key: string; uploadId: string }[]> => {
    const found: { key: string; uploadId: string }[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: keyPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      for (const u of page.Uploads ?? []) if (u.Key && u.UploadId) found.push({ key: u.Key, uploadId: u.UploadId });
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return found;
  };
  const put = async (key: string, body: string) => {
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    } catch (error) {
      throw fail('writing', key, error);
    }
  };

  // The run lock's objects (s3-run-lock.ts). Its first request is the first a backup sends, so a wrong secret
  // or a missing bucket is reported here, in the pre-flight's words, before anything is locked.
  const lockObjects: LockObjects = {
    url,
    async put(key, body) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
      } catch (error) {
        throw fail('S3 pre-flight check: writing the run lock', key, error);
      }
    },
    async list(keyPrefix) {
      const found: { key: string; lastModified: Date }[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }));
          for (const o of page.Contents ?? []) if (o.Key !== undefined && o.LastModified !== undefined) found.push({ key: o.Key, lastModified: o.LastModified });
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw fail('listing the run locks in', keyPrefix, error);
      }
      return found;
    },
    async read(key, maxBytes) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      // Read with a cap, whatever ContentLength says: anyone who may write the bucket may write here.
      const chunks: Buffer[] = [];
      let length = 0;
      try {
        for await (const chunk of got.Body as Readable) {
          length += (chunk as Buffer).length;
          if (length > maxBytes) return undefined;
          chunks.push(chunk as Buffer);
        }
      } finally {
        (got.Body as Readable).destroy();
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    async remove(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw fail('removing', key, error);
      }
    },
  };

  return {
    location: base,
    acquireRunLock: (deployment, report) => acquireS3RunLock(lockObjects, lockFolder(prefix, deployment), deployment, report),
    checkWritable: async (signal) => {
      // A probe object: written, listed, read back and deleted, so a wrong secret, a missing bucket or missing
      // permissions fail in seconds, before anything is locked.
      const probe = keyOf(`.bbr-ts-probe-${randomUUID()}`);
      const body = `bbr-ts write probe ${new Date().toISOString()}`;
      let step = 'listing';
      try {
        await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: below, MaxKeys: 1 }), { abortSignal: signal });
        step = 'writing a probe object to';
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: probe, Body: body }), { abortSignal: signal });
        step = 'listing the probe object in';
        const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: probe }), { abortSignal: signal });
        if (!listed.Contents?.some((o) => o.Key === probe)) throw new Error('the probe object was written but is not listed');
        step = 'reading the probe object from';
        const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: probe }), { abortSignal: signal });
        if ((await read.Body?.transformToString()) !== body) throw new Error('the probe object read back differs from what was written');
        step = 'deleting the probe object from';
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }), { abortSignal: signal });
        return [];
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (step !== 'listing' && !step.startsWith('writing')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe })).catch(() => undefined);
        return [new ArtifactError(`S3 pre-flight check: ${step} ${base} failed: ${describeS3Error(error)}; nothing was locked`, { cause: error, hint: hintFor(error, bucket) })];
      }
    },
    describeNew: (name) => url(keyOf(name)),
    create: async (name) => createS3Backup(name),
    backup: () => storedBackup(prefix),
    async removeBackup(name, signal) {
      const dir = keyOf(name);
      try {
        const objects = await listAll(`${dir}/`, signal);
        // `metadata` first: from then on the backup is incomplete, never complete, whatever happens next (and
        // the next prune removes what is left, as an incomplete backup older than the newest complete one).
        const metadata = `${dir}/metadata`;
        const ordered = [...objects.filter((o) => o.key === metadata), ...objects.filter((o) => o.key !== metadata)];
        for (const o of ordered) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }), { abortSignal: signal });
        for (const u of await openUploads(`${dir}/`)) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }), { abortSignal: signal });
      } catch (error) {
        throw fail('removing', dir, error);
      }
    },
    async list(signal) {
      let objects: Listed[];
      let uploads: { key: string }[];
      try {
        objects = await listAll(below, signal);
        uploads = await openUploads(below).catch(() => []);
      } catch (error) {
        throw fail('listing', below, error);
      }
      const byName = new Map<string, { bytes: number; metadata: boolean; failed: boolean }>();
      const entry = (name: string) => byName.get(name) ?? byName.set(name, { bytes: 0, metadata: false, failed: false }).get(name)!;
      for (const o of [...objects, ...uploads.map((u) => ({ key: u.key, size: 0 }))]) {
        const [name, file, ...deeper] = o.key.slice(below.length).split('/');
        if (!name || file === undefined || deeper.length > 0 || !parseBackupName(name)) continue;
        const e = entry(name);
        e.bytes += o.size;
        if (file === 'metadata' && objects.includes(o as Listed)) e.metadata = true;
        if (file === FAILED_MARKER) e.failed = true;
      }
      return [...byName]
        .map(([name, e]): ListedBackup => {
          const parsed = parseBackupName(name)!;
          return { name, location: url(keyOf(name)), deployment: parsed.deployment, time: parsed.time, bytes: e.bytes, status: e.failed ? 'failed' : e.metadata ? 'complete' : 'incomplete' };
        })
        .sort((a, b) => a.time!.getTime() - b.time!.getTime() || a.name.localeCompare(b.name));
    },
  };

  function createS3Backup(name: string): NewBackup {
    const dir = keyOf(name);
    const uploads = new Set<Promise<unknown>>();
    let metadata: BackupMetadata | undefined;
    const discardOnce = async (): Promise<void> => {
      // Settle every upload first: an aborted lib-storage Upload sends its own abort only after its in-flight
      // parts end. Then abort whatever multipart upload is still open and delete what was written, twice for
      // uploads, in case one was being created while the first listing ran.
      await Promise.allSettled(uploads);
      for (const u of await openUploads(`${dir}/`)) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }));
      for (const o of await listAll(`${dir}/`)) if (!o.key.endsWith(`/${FAILED_MARKER}`)) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
      for (const u of await openUploads(`${dir}/`)) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }));
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: `${dir}/${FAILED_MARKER}`, Body: `This backup failed at ${new Date().toISOString()}; bbr-ts removed its artifacts. It cannot be restored.\n` }),
      );
    };
    const discard = async (): Promise<void> => {
      const started = Date.now();
      for (let wait = 1000; ; wait = Math.min(wait * 2, 15_000)) {
        try {
          await discardOnce();
          return;
        } catch (error) {
          if (Date.now() - started + wait > DISCARD_PATIENCE_MS) {
            throw new ArtifactError(`the failed backup at ${url(dir)} could not be removed: ${describeS3Error(error)}; it has no metadata, so it is not a complete backup`, {
              cause: error,
              hint: `once S3 is reachable, abort its multipart uploads (aws s3api list-multipart-uploads --bucket ${bucket} --prefix ${dir}/) and remove it (aws s3 rm --recursive ${url(dir)}/): incomplete uploads are billed and hide in normal listings`,
            });
          }
          settings.report?.(`cannot reach S3 to remove the failed backup at ${url(dir)} (${describeS3Error(error)}); retrying in ${wait / 1000} s`);
          await sleep(wait);
        }
      }
    };
    return {
      location: url(dir),
      describe: (file) => url(`${dir}/${file}`),
      createArtifact(file, onWriteError) {
        const writable = uploadWritable(client, bucket, `${dir}/${file}`, partSizeMiB * MiB, (error) => {
          const failure = fail('uploading', `${dir}/${file}`, error);
          onWriteError?.(failure);
          return failure;
        });
        uploads.add(writable.settled);
        return writable.stream;
      },
      async writeMetadata(recorded) {
        // Written in finish(), last, and only for a complete backup: its presence is what makes one complete.
        metadata = recorded;
      },
      writeManifest: (text) => put(`${dir}/manifest.yml`, text),
      async finish(succeeded) {
        if (succeeded && metadata) {
          await Promise.allSettled(uploads);
          try {
            await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${dir}/metadata`, Body: serializeBackupMetadata(metadata) }));
            return url(dir);
          } catch (error) {
            const failure = fail('writing the metadata object', `${dir}/metadata`, error);
            await discard().catch(() => undefined);
            throw failure;
          }
        }
        await discard();
        return url(dir);
      },
    };
  }

  function storedBackup(dir: string): StoredBackup {
    let listing: Promise<Map<string, number>> | undefined;
    const files = () =>
      (listing ??= listAll(dir === '' ? '' : `${dir}/`).then((objects) => {
        const byFile = new Map<string, number>();
        for (const o of objects) {
          const file = o.key.slice(dir === '' ? 0 : dir.length + 1);
          if (!file.includes('/')) byFile.set(file, o.size);
        }
        return byFile;
      }));
    return {
      location: dir === '' ? base : url(dir),
      describe: (file) => url(keyOf(file)),
      cheapToRead: false,
      async notComplete() {
        let found;
        try {
          found = await files();
        } catch (error) {
          return fail('listing', dir, error);
        }
        if (found.has(FAILED_MARKER)) {
          return new ArtifactError(`${url(dir)} is from a backup that failed (it has a ${FAILED_MARKER} marker)`, { hint: 'restore a backup that completed: bbr-ts artifact list shows each one\'s status' });
        }
        if (!found.has('metadata')) {
          return new ArtifactError(`${url(dir)} has no metadata object: it is not a complete backup (still being written, interrupted, or no backup at all)`, {
            hint: 'pass the s3://BUCKET/PREFIX/<deployment>_<timestamp> of a complete backup: bbr-ts artifact list s3://BUCKET/PREFIX shows them',
          });
        }
        return undefined;
      },
      async readMetadata(hint) {
        const key = keyOf('metadata');
        const size = (await files()).get('metadata');
        const tooLarge = () => new ArtifactError(`${url(key)} is larger than ${MAX_METADATA_BYTES} bytes, more than any backup needs`, { hint });
        if (size !== undefined && size > MAX_METADATA_BYTES) throw tooLarge();
        let got;
        try {
          got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        } catch (error) {
          throw new ArtifactError(`cannot read ${url(key)}: ${describeS3Error(error)}`, { cause: error, hint });
        }
        // Read with a cap: the listing's size is not a promise about what the GET sends.
        const chunks: Buffer[] = [];
        let length = 0;
        try {
          for await (const chunk of got.Body as Readable) {
            length += (chunk as Buffer).length;
            if (length > MAX_METADATA_BYTES) throw tooLarge();
            chunks.push(chunk as Buffer);
          }
        } catch (error) {
          (got.Body as Readable).destroy();
          throw error instanceof ArtifactError ? error : new ArtifactError(`cannot read ${url(key)}: ${describeS3Error(error)}`, { cause: error, hint });
        }
        return Buffer.concat(chunks).toString('utf8');
      },
      size: async (file) => (await files()).get(file),
      hasFile: async (file) => (await files()).has(file),
      async openChecked(file, hint, signal) {
        const key = keyOf(file);
        try {
          const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
          return { size: got.ContentLength ?? 0, stream: got.Body as Readable };
        } catch (error) {
          throw new ArtifactError(`cannot read ${url(key)}: ${describeS3Error(error)}`, { cause: error, hint });
        }
      },
      open(file, signal) {
        const key = keyOf(file);
        return Readable.from(
          (async function* () {
            let body: Readable | undefined;
            try {
              const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
              body = got.Body as Readable;
              for await (const chunk of body) yield chunk as Buffer;
            } catch (error) {
              throw fail('reading', key, error);
            } finally {
              body?.destroy();
            }
          })(),
          { objectMode: false },
        );
      },
      listTars: async () => [...(await files()).keys()].filter((file) => file.endsWith('.tar')),
    };
  }
}

/**
 * A Writable into one multipart upload (a single PUT when small). It finishes once the upload completed;
 * destroying it aborts the upload. `settled` resolves when the upload has ended either way.
 */
function uploadWritable(client: S3Client, bucket: string, key: string, partSize: number, wrap: (error: unknown) => Error): { stream: Writable; settled: Promise<unknown> } {
  const body = new PassThrough({ highWaterMark: MiB });
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-tar' },
    partSize,
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  let failure: Error | undefined;
  let waiting: ((error?: Error | null) => void) | undefined;
  const done = upload.done();
  const settled = done.then(
    () => undefined,
    (error: unknown) => {
      failure = wrap(error);
      const callback = waiting;
      waiting = undefined;
      callback?.(failure);
    },
  );
  let completed = false;
  const stream = new Writable({
    highWaterMark: MiB,
    write(chunk: Buffer, _encoding, callback) {
      if (failure) return callback(failure);
      if (body.write(chunk)) return callback();
      waiting = callback;
      body.once('drain', () => {
        if (waiting !== callback) return;
        waiting = undefined;
        callback();
      });
    },
    final(callback) {
      body.end();
      settled.then(() => {
        completed = failure === undefined;
        callback(failure);
      });
    },
    destroy(error, callback) {
      if (!completed) {
        void upload.abort().catch(() => undefined);
        body.destroy();
      }
      callback(error);
    },
  });
  return { stream, settled };
}

