// Figure 9 of `npm run bench`: the drain of 1 and 4 GiB into S3-compatible object storage (a local Swift +
// s3api server, fixtures/s3/server.mjs) next to the drain of the same artifact to the local disk, in the same
// run on the same instance, with the peak RSS of each (object storage must stay flat: part size x parts in flight).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { startS3Server, swiftInstalled } from '../fixtures/s3/server.mjs';
import { fastest, fleetFlags, GiB, runBbrTs, writeBulkFiles } from './lib.mjs';

// Its own address, away from the e2e tests' servers; the S3 endpoint is PORT, Swift's inner servers PORT+1..+3.
const S3_ADDRESS = '127.0.65.200';
const S3_PORT = 18180;
const BUCKET = 'bench';

export { swiftInstalled };

/** Starts the S3 server (its data under `work`) and creates the bucket; calls body(server); always stops it. */
export async function withS3Server(work, body) {
  const server = await startS3Server({ ip: S3_ADDRESS, port: S3_PORT, parentDir: work });
  try {
    // bbr-ts never creates buckets (an operator's decision); the bench does, with a signed request of the SDK.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // a notice about future SDK versions
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** One size: best of `repeats` drains to the local disk and to S3, alternating, on the bulk fleet. */
export async function benchS3Drain({ fleet, manifest, work }, server, totalBytes, repeats) {
  await writeBulkFiles(fleet.instances[0].dir, totalBytes, 4);
  const env = {
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_REGION: server.region,
    AWS_ENDPOINT_URL_S3: server.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const locals = [];
  const s3s = [];
  for (let i = 0; i < repeats; i++) {
    const artifacts = path.join(work, `s3-bench-local-${i}`);
    await mkdir(artifacts, { recursive: true });
    try {
      locals.push(await runBbrTs(fleetFlags(fleet, manifest, artifacts, 10)));
    } finally {
      await rm(artifacts, { recursive: true, force: true });
    }
    s3s.push(await runBbrTs([...fleetFlags(fleet, manifest, `s3://${BUCKET}/run-${totalBytes}-${i}`, 10), '--s3-path-style'], env));
  }
  const best = (runs) => fastest(runs.map((r) => ({ ...r, drainMs: r.phases.drain })), 'drainMs');
  const local = best(locals);
  const s3 = best(s3s);
  return {
    sizeBytes: totalBytes,
    label: `${totalBytes / GiB} GiB`,
    localDrainMs: local.drainMs,
    s3DrainMs: s3.drainMs,
    localPeakRssBytes: Math.max(...locals.map((r) => r.peakRssBytes)),
    s3PeakRssBytes: Math.max(...s3s.map((r) => r.peakRssBytes)),
    localCpuMs: local.cpuMs,
    s3CpuMs: s3.cpuMs,
  };
}
