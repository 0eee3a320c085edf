// `bbr-ts job test JOB_DIR`: for release authors, no deployment or SSH involved.
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import { testJob } from '../../release-check/job-test.js';
import type { OnlyChecks } from '../../release-check/types.js';
import { formatJobTestReport } from '../../report/job-test-text.js';
import type { Runtime } from '../runtime.js';
import type { SetExitCode } from './types.js';

export function jobMode(y: Argv, runtime: Runtime, setExit: SetExitCode): Argv {
  return y.command('job', "Check a job's bin/bbr/ scripts against the BBR script contract on this machine (for release authors)", (mode) =>
    mode
      .command(
        'test <job-dir>',
        'Lint the scripts and metadata, then run lock, backup, unlock, restore and unlock locally in a scratch folder',
        (sub) =>
          sub
            // --env is repeatable; every other flag keeps the last-one-wins rule of the other commands (coerce: lastOf).
            .parserConfiguration({ 'duplicate-arguments-array': true })
            .positional('job-dir', { type: 'string', demandOption: true, describe: 'job folder as installed on a VM (holds bin/bbr/), templates rendered' })
            .option('only', { choices: ['lint', 'run'] as const, coerce: lastOf, describe: 'run only the static checks (lint: no script runs except metadata) or only the contract run' })
            .option('json', { type: 'boolean', default: false, coerce: lastBoolean, describe: 'print the report as JSON (for CI)' })
            .option('env', { type: 'string', array: true, nargs: 1, default: [] as string[], describe: 'NAME=VALUE given to every script, e.g. where your rendered templates keep data (repeatable)' })
            .option('timeout', { type: 'number', default: 300, coerce: lastNumber, describe: 'seconds each script may run' })
            .option('scratch-dir', { type: 'string', coerce: lastOf, describe: 'create the scratch folder ($BBR_ARTIFACT_DIRECTORY) here; put it on the filesystem of the job\'s data when backup hard-links into it (default: <vcap>/store next to <vcap>/jobs/<job>, else /var/vcap/store, else the temp folder)' })
            .option('keep', { type: 'boolean', default: false, coerce: lastBoolean, describe: 'keep the scratch folder (the artifact backup wrote) for inspection' })
            .example('$0 job test jobs/my-db --only lint', 'static checks only')
            .example('$0 job test jobs/my-db --env DATA_DIR=/tmp/my-db --json', 'full check for CI'),
        async (argv) => {
          const timeout = argv.timeout;
          if (!(timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
          const report = await testJob({
            jobDir: argv['job-dir'],
            only: argv.only as OnlyChecks,
            bbrTsVersion: runtime.version,
            extraEnv: parseEnv(argv.env),
            timeoutMs: timeout * 1000,
            scratchDir: argv['scratch-dir'] as string | undefined,
            keepScratch: argv.keep,
            signal: runtime.signal,
          });
          runtime.stdout.write(argv.json ? JSON.stringify(report, null, 2) + '\n' : formatJobTestReport(report));
          setExit(report.passed ? 0 : 1);
        },
      )
      .demandCommand(1, 'name a subcommand (see the list above)'),
  );
}

function lastOf<T>(value: T | T[]): T {
  return Array.isArray(value) ? (value.at(-1) as T) : value;
}
const lastNumber = (value: number | number[]): number => lastOf(value);
const lastBoolean = (value: boolean | boolean[]): boolean => lastOf(value);

function parseEnv(pairs: readonly (string | number)[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs.map(String)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--env ${pair}: expected NAME=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}
