// A pg_dump-like plain SQL artifact for the compression figure: a schema header, then COPY blocks of
// tab-separated rows (sequential ids, foreign keys, enum-like words, timestamps, amounts, JSON payloads with a
// random session id). Deterministic (seeded PRNG). Writing 1 GiB of freshly generated text would cost the
// bench ~10 s of CPU, so one 64 MiB block of unique rows is generated and written repeatedly: the repeat distance (64 MiB) is far beyond the window of gzip (32 KiB) and
// zstd -1 (512 KiB to 1 MiB), so neither compressor sees the repetition.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const BLOCK_BYTES = 64 * 1024 * 1024;
const KINDS = ['login', 'logout', 'purchase', 'refund', 'view', 'search', 'signup', 'password_reset', 'export'];
const CITIES = ['Berlin', 'Lisbon', 'Oslo', 'Austin', 'Osaka', 'Lyon', 'Porto', 'Denver', 'Turin', 'Leeds'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'okhttp/4.12.0',
];

function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const HEADER = `--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

CREATE TABLE public.events (
    id bigint NOT NULL,
    account_id integer NOT NULL,
    kind text NOT NULL,
    city text,
    amount numeric(12,2),
    payload jsonb,
    created_at timestamp with time zone NOT NULL
);

COPY public.events (id, account_id, kind, city, amount, payload, created_at) FROM stdin;
`;

/** One block of COPY rows. */
function rowsBlock(bytes) {
  const rand = prng(20260501);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const hex = () => Math.floor(rand() * 0xffffffff).toString(16).padStart(8, '0');
  const lines = [];
  let size = 0;
  let t = Date.UTC(2024, 4, 1);
  for (let id = 1; size < bytes; id++) {
    t += Math.floor(rand() * 2000);
    const kind = pick(KINDS);
    const amount = kind === 'purchase' || kind === 'refund' ? (rand() * 500).toFixed(2) : '\\N';
    const payload = `{"ip": "10.${Math.floor(rand() * 4)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}", "agent": "${pick(AGENTS)}", "session": "${hex()}${hex()}"}`;
    const line = `${id}\t${1000 + Math.floor(rand() * 50000)}\t${kind}\t${pick(CITIES)}\t${amount}\t${payload}\t${new Date(t).toISOString().replace('T', ' ').replace('Z', '+00')}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}

/** Writes a `totalBytes` (approximately, whole blocks) plain SQL dump to `file`. */
export async function writeSqlDump(file, totalBytes) {
  const block = rowsBlock(BLOCK_BYTES);
  const out = createWriteStream(file);
  out.write(HEADER);
  for (let written = 0; written < totalBytes; written += block.length) {
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end('\\.\n\n--\n-- PostgreSQL database dump complete\n--\n');
  await once(out, 'finish');
}
