// `bbr-ts artifact verify DIR` and `bbr-ts artifact show DIR`: offline looks at a backup directory.
import type { Argv } from 'yargs';
import { describeBackup } from '../../artifact/describe.js';
import { verifyBackup } from '../../artifact/verify.js';
import { formatBbrTime } from '../../artifact/metadata-file.js';
import { escapeLine } from '../../report/escape.js';
import { formatBytes } from '../../report/plain-lines.js';
import { reportFailures } from '../exit.js';
import type { Runtime } from '../runtime.js';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { checkCiphertexts, readEncryptionRecord, type EncryptionRecord } from '../../artifact/age-store.js';
import { localBackup } from '../../artifact/local-store.js';
import type { StoredBackup } from '../../orchestrate/artifact-store.js';
import { IDENTITY_OPTIONS, identityOption, openForReading } from '../encryption-options.js';
import { isS3Location } from '../../artifact/s3-location.js';
import { openStore, STORAGE_OPTIONS, storageOptions, type StorageFlags } from '../storage-options.js';
import { combineOptions, declareOptions, defineOptions, pickOptions, readOptions } from '../option-table.js';
import { ArtifactError, UsageError } from '../../errors.js';
import { quoteName } from '../../names.js';
import { BUCKETS, isEmptyPolicy, type KeepPolicy } from '../../retention/policy.js';
import { pruneLocalArtifactPath, type PruneOptions } from '../../retention/prune.js';
import { pruneStore } from '../../retention/prune-store.js';
import type { Choose } from './types.js';

const PATH_OR_S3 = 'the <deployment>_<timestamp> directory, or s3://BUCKET/PREFIX/<deployment>_<timestamp>';
const VERIFY_OPTIONS = defineOptions({ dir: { flag: 'dir', type: 'string', positional: true, required: true, describe: PATH_OR_S3 } });
const EXPORT_OPTIONS = defineOptions({
  src: { flag: 'src', type: 'string', positional: true, required: true, describe: 'the backup: <deployment>_<timestamp> directory or s3://.../<deployment>_<timestamp>' },
  dest: { flag: 'dest', type: 'string', positional: true, required: true, describe: 'a new local directory for the plain copy (must not exist)' },
});
const LIST_OPTIONS = defineOptions({ path: { flag: 'path', type: 'string', positional: true, required: true, describe: 'the --artifact-path backups were written into' } });
const PRUNE_OPTIONS = defineOptions({
  path: {
    flag: 'path',
    type: 'string',
    positional: true,
    required: true,
    describe: 'the folder holding <deployment>_<timestamp> directories, or s3://BUCKET/PREFIX (backup --artifact-path)',
  },
  deployment: { flag: 'deployment', type: 'string', describe: 'prune only this deployment (default: every deployment, each on its own)' },
  // Checked by keepPolicyOf, whose refusal carries a hint.
  keepLast: { flag: 'keep-last', type: 'number', describe: 'keep the N newest complete backups' },
  keepHourly: { flag: 'keep-hourly', type: 'number', describe: 'keep the newest backup of each of the N newest hours that have one' },
  keepDaily: { flag: 'keep-daily', type: 'number', describe: 'keep the newest backup of each of the N newest days (UTC) that have one' },
  keepWeekly: { flag: 'keep-weekly', type: 'number', describe: 'keep the newest backup of each of the N newest ISO weeks (Monday to Sunday, UTC)' },
  keepMonthly: { flag: 'keep-monthly', type: 'number', describe: 'keep the newest backup of each of the N newest months' },
  keepYearly: { flag: 'keep-yearly', type: 'number', describe: 'keep the newest backup of each of the N newest years' },
  dryRun: { flag: 'dry-run', type: 'boolean', default: false, describe: 'print what would be kept and removed; remove nothing' },
});

export function artifactMode(y: Argv, choose: Choose): Argv {
  return y.command('artifact', 'Look at, verify, list or prune backups without connecting anywhere (verify, show and list also in object storage, s3://)', (mode) =>
    storageOptions(mode)
      .command(
        'verify <dir>',
        'Check that a backup is whole: metadata parses, every tar is present, safe and matches its checksums; exit 0 only then',
        (sub) => identityOption(declareOptions(sub, VERIFY_OPTIONS)),
        (argv) =>
          choose((runtime) => {
            const options = readOptions(argv, combineOptions(STORAGE_OPTIONS, IDENTITY_OPTIONS, VERIFY_OPTIONS));
            return verifyCommand(runtime, options.dir, pickOptions(options, STORAGE_OPTIONS), options.identity);
          }),
      )
      .command(
        'export <src> <dest>',
        'Write a plain BBR-format copy of a backup (decrypting it with --identity): a local directory BBR and bbr-ts restore',
        (sub) => identityOption(declareOptions(sub, EXPORT_OPTIONS)),
        (argv) =>
          choose((runtime) => {
            const options = readOptions(argv, combineOptions(STORAGE_OPTIONS, IDENTITY_OPTIONS, EXPORT_OPTIONS));
            return exportCommand(runtime, options.src, options.dest, pickOptions(options, STORAGE_OPTIONS), options.identity);
          }),
      )
      .command(
        'show <dir>',
        'Print what a backup holds: deployment, times, instances, jobs, file counts and sizes',
        (sub) => declareOptions(sub, VERIFY_OPTIONS),
        (argv) =>
          choose((runtime) => {
            const options = readOptions(argv, combineOptions(STORAGE_OPTIONS, VERIFY_OPTIONS));
            return showCommand(runtime, options.dir, pickOptions(options, STORAGE_OPTIONS));
          }),
      )
      .command(
        'list <path>',
        'List the backups in a folder or under s3://BUCKET/PREFIX: deployment, time, size and status (complete, failed or incomplete)',
        (sub) => declareOptions(sub, LIST_OPTIONS),
        (argv) =>
          choose((runtime) => {
            const options = readOptions(argv, combineOptions(STORAGE_OPTIONS, LIST_OPTIONS));
            return listCommand(runtime, options.path, pickOptions(options, STORAGE_OPTIONS));
          }),
      )
      .command(
        'prune <path>',
        "Remove old backups from an artifact path with restic's forget policy: each --keep-* bucket keeps the newest backup of each of its N newest periods",
        (sub) => declareOptions(sub, PRUNE_OPTIONS),
        (argv) =>
          choose((runtime) => {
            const options = readOptions(argv, combineOptions(STORAGE_OPTIONS, PRUNE_OPTIONS));
            return pruneCommand(runtime, options.path, pickOptions(options, STORAGE_OPTIONS), {
              ...(options.deployment === undefined ? {} : { deployment: options.deployment }),
              dryRun: options.dryRun,
              keep: { last: options.keepLast, hourly: options.keepHourly, daily: options.keepDaily, weekly: options.keepWeekly, monthly: options.keepMonthly, yearly: options.keepYearly },
            });
          }),
      )
      .demandCommand(1, 'name a subcommand (see the list above)')
      .example('$0 artifact verify /var/backups/example_20240501T100001Z', 'exit 0 when the backup can be restored as it is')
      .example('$0 artifact list s3://backups/cf', 'every backup under the prefix with its status')
      .example('$0 artifact prune /var/backups --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --dry-run', 'show what a retention policy would remove'),
  );
}

/** Store messages (S3 retries) go to stderr, one escaped line each. */
function storeAt(runtime: Runtime, location: string, flags: StorageFlags) {
  return openStore(location, flags, (message) => runtime.stderr.write(`warning: ${escapeLine(message)}\n`));
}

async function verifyCommand(runtime: Runtime, dir: string, flags: StorageFlags, identity: string | undefined): Promise<number> {
  let verified;
  try {
    const stored = (await storeAt(runtime, dir, flags)).backup();
    const record = await readEncryptionRecord(stored);
    if (record && identity === undefined) return await verifyCiphertexts(runtime, stored, record);
    verified = await verifyBackup(await openForReading(stored, identity), { signal: runtime.signal });
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode;
  }
  for (const v of verified.verdicts) {
    const facts = v.fileCount === undefined ? '' : `, ${v.fileCount} file(s), ${formatBytes(v.contentBytes ?? 0)}`;
    const verdict = v.problem ? `BROKEN ${v.problem.message}` : v.absent ? 'OK, listed without files and absent (as Go bbr writes it)' : `OK${facts}`;
    // Names come from the metadata file, which anyone may have written: one escaped line per artifact.
    runtime.stdout.write(escapeLine(`${v.file} (${v.label}): ${verdict}`) + '\n');
  }
  const whole = verified.failures.length === 0;
  const directory = escapeLine(verified.directory);
  runtime.stdout.write(whole ? `${directory}: whole, ${verified.verdicts.length} artifact(s) verified\n` : `${directory}: NOT whole\n`);
  const report = reportFailures(verified.failures);
  runtime.stderr.write(report.text);
  return report.exitCode;
}

async function showCommand(runtime: Runtime, dir: string, flags: StorageFlags): Promise<number> {
  let description;
  try {
    description = await describeBackup((await storeAt(runtime, dir, flags)).backup());
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode;
  }
  const { metadata } = description;
  const { startTime, finishTime } = metadata.backupActivity;
  const lines = [
    `directory:   ${description.directory}`,
    `deployment:  ${description.deployment ?? '(unknown: the directory is not named <deployment>_<timestamp>)'}`,
    `started:     ${startTime.getTime() === 0 ? '(not recorded)' : formatBbrTime(startTime)}`,
    `finished:    ${finishTime ? formatBbrTime(finishTime) : '(not recorded: the backup may not have finished)'}`,
    `manifest:    ${description.hasManifest ? 'manifest.yml' : '(not saved)'}`,
    `instances:   ${metadata.instances.length}, artifacts: ${description.artifacts.length}`,
  ];
  for (const a of description.artifacts) {
    // Go bbr lists the legacy mysql-restore job's custom artifact without files and writes no tar for it.
    const listedEmpty = a.custom && a.fileCount === 0;
    const size = a.tarBytes !== undefined ? formatBytes(a.tarBytes) : listedEmpty ? 'no tar (listed without files, as Go bbr writes it)' : 'MISSING';
    lines.push(`  ${a.label}: ${a.fileCount} file(s), ${size} (${a.file})`);
  }
  // Names and the directory come from the artifact directory, which anyone may have written: escaped per line.
  runtime.stdout.write(lines.map(escapeLine).join('\n') + '\n');
  return 0;
}

async function listCommand(runtime: Runtime, location: string, flags: StorageFlags): Promise<number> {
  let listed;
  try {
    listed = await (await storeAt(runtime, location, flags)).list(runtime.signal);
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode;
  }
  const rows = listed.map((b) => [b.deployment ?? '?', b.time ? formatBbrTime(b.time) : '?', formatBytes(b.bytes), b.status, b.location]);
  const header = ['DEPLOYMENT', 'TIME', 'SIZE', 'STATUS', 'LOCATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  // Names come from the folder or bucket, which anyone may have written: one escaped line per backup.
  runtime.stdout.write([line(header), ...rows.map(line)].map(escapeLine).join('\n') + '\n');
  if (listed.length === 0) runtime.stderr.write(`no backups under ${escapeLine(location)}\n`);
  return 0;
}

interface PruneFlags {
  deployment?: string;
  dryRun: boolean;
  keep: Record<(typeof BUCKETS)[number], number | undefined>;
}

async function pruneCommand(runtime: Runtime, artifactPath: string, storage: StorageFlags, flags: PruneFlags): Promise<number> {
  try {
    const policy = keepPolicyOf(flags.keep);
    let kept = 0;
    let removed = 0;
    // Local folders are pruned by renaming directories first; object storage through its store.
    const prune = isS3Location(artifactPath)
      ? async (options: PruneOptions) => pruneStore(await storeAt(runtime, artifactPath, storage), options)
      : (options: PruneOptions) => pruneLocalArtifactPath(artifactPath, options);
    const { failures } = await prune({
      policy,
      ...(flags.deployment === undefined ? {} : { deployment: flags.deployment }),
      dryRun: flags.dryRun,
      signal: runtime.signal,
      onStep: ({ decision, error }) => {
        const why = `(${decision.reasons.join(', ')})`;
        const verdict = decision.keep ? `keep ${why}` : error ? `NOT removed ${why}: see the errors below` : flags.dryRun ? `would remove ${why}` : `removed ${why}`;
        if (decision.keep) kept += 1;
        else if (!error) removed += 1;
        // Names come from the artifact path, which anyone may have written: one escaped line per backup.
        runtime.stdout.write(escapeLine(`${decision.entry.name}: ${verdict}`) + '\n');
      },
    });
    runtime.stdout.write(`${kept} kept, ${removed} ${flags.dryRun ? 'would be removed (dry run: nothing removed)' : 'removed'}${failures.length ? `, ${failures.length} NOT removed` : ''}\n`);
    const report = reportFailures(failures);
    runtime.stderr.write(report.text);
    return report.exitCode;
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode;
  }
}

function keepPolicyOf(keep: PruneFlags['keep']): KeepPolicy {
  const policy: KeepPolicy = {};
  for (const bucket of BUCKETS) {
    const n = keep[bucket];
    if (n === undefined) continue;
    if (!Number.isInteger(n) || n < 0) {
      throw new UsageError(`--keep-${bucket} must be a whole number of 0 or more, not ${quoteName(String(n))}`, { hint: 'for example --keep-daily 7' });
    }
    policy[bucket] = n;
  }
  if (isEmptyPolicy(policy)) {
    // restic refuses an empty policy too: it would remove every backup but the newest.
    throw new UsageError('no --keep-* option above 0 was given: prune will not remove every backup', {
      hint: 'say what to keep, for example --keep-last 2 --keep-daily 7 --keep-weekly 4 --keep-monthly 6',
    });
  }
  return policy;
}

/** An encrypted backup without --identity: the ciphertexts against what was recorded when they were written. */
async function verifyCiphertexts(runtime: Runtime, stored: StoredBackup, record: EncryptionRecord): Promise<number> {
  const results = await checkCiphertexts(stored, record, runtime.signal);
  for (const r of results) runtime.stdout.write(escapeLine(`${r.file}: ${r.problem ? `BROKEN ${r.problem}` : 'ciphertext intact (size and SHA-256 as written)'}`) + '\n');
  const broken = results.filter((r) => r.problem);
  const where = escapeLine(stored.location);
  if (broken.length > 0) {
    runtime.stdout.write(`${where}: NOT whole\n`);
    const report = reportFailures(broken.map((r) => new ArtifactError(`${stored.describe(r.file)}: ${r.problem}`, { hint: 'the encrypted file was changed or cut after it was written; restore from another backup' })));
    runtime.stderr.write(report.text);
    return report.exitCode;
  }
  runtime.stdout.write(`${where}: encrypted; ${results.length} file(s) intact as written, contents NOT checked (pass --identity to decrypt and check every file's checksum)\n`);
  return 0;
}

/** `artifact export`: metadata as it is, each tar and the manifest decrypted, then the copy verified. */
async function exportCommand(runtime: Runtime, src: string, dest: string, flags: StorageFlags, identity: string | undefined): Promise<number> {
  try {
    const stored = await openForReading((await storeAt(runtime, src, flags)).backup(), identity);
    const verified = await verifyBackup(stored, { signal: runtime.signal, contents: false });
    if (verified.failures.length > 0) {
      const report = reportFailures(verified.failures);
      runtime.stderr.write(report.text);
      return report.exitCode;
    }
    const target = path.resolve(dest);
    await mkdir(target, { mode: 0o700 }).catch((error: Error) => {
      throw new ArtifactError(`cannot create ${target}: ${error.message}`, { hint: 'pass a directory that does not exist yet, in an existing folder' });
    });
    await writeFile(path.join(target, 'metadata'), await stored.readMetadata('the metadata file cannot be read'), { mode: 0o600, flag: 'wx' });
    const files = [...verified.verdicts.filter((v) => !v.absent).map((v) => v.file), ...((await stored.hasFile('manifest.yml')) ? ['manifest.yml'] : [])];
    for (const file of files) {
      await pipeline(stored.open(file, runtime.signal), createWriteStream(path.join(target, file), { mode: 0o600, flags: 'wx' }));
    }
    // The copy is checked like any backup: every tar against its checksums.
    const check = await verifyBackup(localBackup(target), { signal: runtime.signal });
    const report = reportFailures(check.failures);
    runtime.stdout.write(escapeLine(check.failures.length === 0 ? `${target}: plain copy written and verified, ${files.length} file(s)` : `${target}: copy written but NOT whole`) + '\n');
    runtime.stderr.write(report.text);
    return report.exitCode;
  } catch (error) {
    const report = reportFailures([error]);
    runtime.stderr.write(report.text);
    return report.exitCode || 1;
  }
}
