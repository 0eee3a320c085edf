// Encryption cost, for choosing the age implementation by measurement (issue 16): MB/s of plaintext through
// bbr-ts's age encryption on node:crypto (dist/artifact/age) and, when it can be imported, through the
// `age-encryption` npm package (pure JS on @noble). Not a dependency: point AGE_ENCRYPTION at an install of it
// (`npm install --prefix /tmp/agebench age-encryption`, AGE_ENCRYPTION=/tmp/agebench/node_modules/age-encryption/dist/index.js).
// Run after `npm run build`: node bench/age.mjs [MiB]
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAgeEncryptStream } from '../dist/artifact/age/format.js';
import { generateIdentity } from '../dist/artifact/age/keys.js';

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 256) * MiB;
const block = randomBytes(MiB);
const blocks = function* () {
  for (let sent = 0; sent < total; sent += MiB) yield block;
};
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const rate = (ms) => Math.round(total / MiB / (ms / 1000));

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const { identity } = generateIdentity();
const results = {};
// SHA-256 of the same bytes: what the drain already does per byte, for scale.
results.sha256 = rate(await timed(async () => {
  const hash = createHash('sha256');
  for (const b of blocks()) hash.update(b);
  hash.digest();
}));
results.native = rate(await timed(() => pipeline(Readable.from(blocks()), createAgeEncryptStream([identity.recipient]), sink())));

const modulePath = process.env.AGE_ENCRYPTION;
if (modulePath) {
  const age = await import(modulePath);
  const e = new age.Encrypter();
  e.addRecipient(await age.identityToRecipient(await age.generateIdentity()));
  results.ageEncryptionNpm = rate(await timed(async () => {
    const source = Readable.toWeb(Readable.from(blocks()));
    const out = await e.encrypt(source);
    for await (const _ of out) void _;
  }));
}
console.log(JSON.stringify({ MiB: total / MiB, 'MB/s': results }));
