// `bbr-ts artifact verify DIR` and `bbr-ts artifact show DIR`: offline looks at a backup directory.
import type { Argv } from 'yargs';
import { describeBackup } from '../../artifact/describe.js';
import { verifyBackup } from '../../artifact/verify.js';
import { formatBbrTime } from '../../artifact/metadata-file.js';
import { escapeLine } from '../../report/escape.js';
import { formatBytes } from '../../report/plain-lines.js';
import { reportFailures } from '../exit.js';
import type { Runtime } from '../runtime.js';
import { openStore, storageFlags, storageOptions, type StorageFlags } from '../storage-options.js';
import type { SetExitCode } from './types.js';

export function artifactMode(y: Argv, runtime: Runtime, setExit: SetExitCode): Argv {
  return y.command('artifact', 'Look at backups in a local folder or in object storage (s3://) without connecting to any instance', (mode) =>
    storageOptions(mode)
      .command(
        'verify <dir>',
        'Check that a backup is whole: metadata parses, every tar is present, safe and matches its checksums; exit 0 only then',
        (sub) => sub.positional('dir', { type: 'string', demandOption: true, describe: 'the <deployment>_<timestamp> directory, or s3://BUCKET/PREFIX/<deployment>_<timestamp>' }),
        async (argv) => setExit(await verifyCommand(runtime, argv.dir, storageFlags(argv))),
      )
      .command(
        'show <dir>',
        'Print what a backup holds: deployment, times, instances, jobs, file counts and sizes',
        (sub) => sub.positional('dir', { type: 'string', demandOption: true, describe: 'the <deployment>_<timestamp> directory, or s3://BUCKET/PREFIX/<deployment>_<timestamp>' }),
        async (argv) => setExit(await showCommand(runtime, argv.dir, storageFlags(argv))),
      )
      .command(
        'list <path>',
        'List the backups in a folder or under s3://BUCKET/PREFIX: deployment, time, size and status (complete, failed or incomplete)',
        (sub) => sub.positional('path', { type: 'string', demandOption: true, describe: 'the --artifact-path backups were written into' }),
        async (argv) => setExit(await listCommand(runtime, argv.path, storageFlags(argv))),
      )
      .demandCommand(1, 'name a subcommand (see the list above)')
      .example('$0 artifact verify /var/backups/example_20240501T100001Z', 'exit 0 when the backup can be restored as it is')
      .example('$0 artifact list s3://backups/cf', 'every backup under the prefix with its status'),
  );
}

/** Store messages (S3 retries) go to stderr, one escaped line each. */
function storeAt(runtime: Runtime, location: string, flags: StorageFlags) {
  return openStore(location, flags, (message) => runtime.stderr.write(`warning: ${escapeLine(message)}\n`));
}

async function verifyCommand(runtime: Runtime, dir: string, flags: StorageFlags): Promise<number> {
  let verified;
  try {
    verified = await verifyBackup(storeAt(runtime, dir, flags).backup(), { signal: runtime.signal });
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
    description = await describeBackup(storeAt(runtime, dir, flags).backup());
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
    listed = await storeAt(runtime, location, flags).list(runtime.signal);
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
