// `bbr-ts artifact verify DIR` and `bbr-ts artifact show DIR`: offline looks at a backup directory.
import type { Argv } from 'yargs';
import { describeArtifactDirectory } from '../../artifact/describe.js';
import { verifyArtifactDirectory } from '../../artifact/verify.js';
import { formatBbrTime } from '../../artifact/metadata-file.js';
import { escapeLine } from '../../report/escape.js';
import { formatBytes } from '../../report/plain-lines.js';
import { reportFailures } from '../exit.js';
import type { Runtime } from '../runtime.js';
import type { SetExitCode } from './types.js';

export function artifactMode(y: Argv, runtime: Runtime, setExit: SetExitCode): Argv {
  return y.command('artifact', 'Look at a local backup directory without connecting anywhere', (mode) =>
    mode
      .command(
        'verify <dir>',
        'Check that a backup is whole: metadata parses, every tar is present, safe and matches its checksums; exit 0 only then',
        (sub) => sub.positional('dir', { type: 'string', demandOption: true, describe: 'the <deployment>_<timestamp> directory' }),
        async (argv) => setExit(await verifyCommand(runtime, argv.dir)),
      )
      .command(
        'show <dir>',
        'Print what a backup holds: deployment, times, instances, jobs, file counts and sizes',
        (sub) => sub.positional('dir', { type: 'string', demandOption: true, describe: 'the <deployment>_<timestamp> directory' }),
        async (argv) => setExit(await showCommand(runtime, argv.dir)),
      )
      .demandCommand(1, 'name a subcommand (see the list above)')
      .example('$0 artifact verify /var/backups/example_20240501T100001Z', 'exit 0 when the backup can be restored as it is'),
  );
}

async function verifyCommand(runtime: Runtime, dir: string): Promise<number> {
  const verified = await verifyArtifactDirectory(dir, { signal: runtime.signal });
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

async function showCommand(runtime: Runtime, dir: string): Promise<number> {
  let description;
  try {
    description = await describeArtifactDirectory(dir);
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
