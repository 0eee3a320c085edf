// A throw-away S3 server for e2e tests: OpenStack Swift with its s3api middleware (Debian's packages, installed
// by scripts/test.sh), one directory and four processes per instance, all on one loopback address. A real
// S3 API: SigV4 (a wrong secret is refused), multipart uploads, listings. Facts behind the settings:
// /work/shared/reference/s3-server.md (Swift 2.30 on Debian 12).
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { execa } from 'execa';

// The SDK's notice about Node < 22 (future SDK versions) is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const KINDS = ['account', 'container', 'object', 'proxy'] as const;
export const S3_ACCESS_KEY = 'test:tester';
export const S3_SECRET = 'testing';
export const S3_REGION = 'us-east-1';

export function swiftInstalled(): boolean {
  return existsSync('/usr/bin/swift-proxy-server');
}

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

function config(kind: string, ip: string, port: number, dir: string): string {
  const common = `[DEFAULT]\nbind_ip = ${ip}\nbind_port = ${port}\n# no fork: one process per server, as the caller\nworkers = 0\nswift_dir = ${dir}/etc\n`;
  if (kind !== 'proxy') {
    return `${common}devices = ${dir}/srv/node\nmount_check = false\n[pipeline:main]\npipeline = healthcheck ${kind}-server\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n[app:${kind}-server]\nuse = egg:swift#${kind}\n`;
  }
  return `${common}[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:s3api]
use = egg:swift#s3api
location = ${S3_REGION}
# S3 allows 10000 parts; Swift's default is 1000
max_upload_part_num = 10000
[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = ${S3_SECRET} .admin
[filter:cache]
# tempauth needs a memcache client object; no memcached has to run
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_object_versioning = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:dlo]
use = egg:swift#dlo
[filter:symlink]
use = egg:swift#symlink
`;
}

const RINGS = `
import sys
from swift.common.ring import RingBuilder
etc, ip, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
for kind, port in zip(('account', 'container', 'object'), ports):
    b = RingBuilder(6, 1, 1)
    b.add_dev({'region': 1, 'zone': 1, 'ip': ip, 'port': int(port), 'device': 'd1', 'weight': 100})
    b.rebalance()
    b.get_ring().save('%s/%s.ring.gz' % (etc, kind))
`;

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return (await response.text()) === 'OK';
  } catch {
    return false;
  }
}

/** Starts Swift + s3api on `ip` (ports `port`..`port+3`) with its data in a fresh folder. */
export async function startS3Server(options: { ip: string; port?: number }): Promise<S3Server> {
  const ip = options.ip;
  const port = options.port ?? 18080;
  const ports = { proxy: port, account: port + 1, container: port + 2, object: port + 3 };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bbr-ts-s3-'));
  for (const sub of ['etc', 'srv/node/d1', 'log']) await mkdir(path.join(dir, sub), { recursive: true });
  for (const kind of KINDS) await writeFile(path.join(dir, 'etc', `${kind}-server.conf`), config(kind, ip, ports[kind], dir));
  await execa('/usr/bin/python3', ['-c', RINGS, path.join(dir, 'etc'), ip, String(ports.account), String(ports.container), String(ports.object)]);
  const endpoint = `http://${ip}:${port}`;
  let pids: number[] = [];

  const start = async () => {
    for (const [kind, p] of Object.entries(ports)) {
      if (await healthy(`http://${ip}:${p}/healthcheck`)) throw new Error(`${ip}:${p} is already in use (${kind})`);
    }
    pids = KINDS.map((kind) => {
      const log = openSync(path.join(dir, 'log', `${kind}.log`), 'a');
      // -v copies log lines to stderr (there is no /dev/log); the servers call setsid themselves.
      const child = spawn(`/usr/bin/swift-${kind}-server`, [path.join(dir, 'etc', `${kind}-server.conf`), '-v'], { stdio: ['ignore', log, log], detached: true });
      closeSync(log);
      child.unref();
      return child.pid!;
    });
    for (const p of Object.values(ports)) {
      for (let i = 0; !(await healthy(`http://${ip}:${p}/healthcheck`)); i++) {
        if (i >= 300 || pids.some((pid) => !alive(pid))) {
          kill();
          throw new Error(`the S3 server did not come up on ${ip}:${p}; see ${dir}/log`);
        }
        await sleep(100);
      }
    }
  };
  const kill = () => {
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
  const waitGone = async () => {
    for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50);
  };

  await start();
  let client: S3Client | undefined;
  const makeClient = () =>
    (client ??= new S3Client({
      endpoint,
      region: S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }));
  return {
    endpoint,
    dir,
    flags: ['--s3-path-style'],
    env: (overrides = {}) => ({ AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET, AWS_REGION: S3_REGION, AWS_ENDPOINT_URL_S3: endpoint, ...overrides }),
    client: makeClient,
    async createBucket(name) {
      await makeClient().send(new CreateBucketCommand({ Bucket: name }));
    },
    async list(bucket, prefix = '') {
      const found: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const page = await makeClient().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) found.push({ key: o.Key!, size: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return found;
    },
    async openUploads(bucket, prefix = '') {
      const page = await makeClient().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return (page.Uploads ?? []).map((u) => u.Key!);
    },
    async get(bucket, key) {
      const got = await makeClient().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await got.Body!.transformToByteArray());
    },
    async put(bucket, key, body) {
      await makeClient().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    kill,
    async start() {
      await waitGone();
      await start();
    },
    async stop() {
      kill();
      await waitGone();
      client?.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
