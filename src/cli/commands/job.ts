// `bbr-ts job test JOB_DIR`: for release authors, no deployment or SSH involved.
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import { testJob } from '../../release-check/job-test.js';
import { formatJobTestReport } from '../../report/job-test-text.js';
import type { Runtime } from '../runtime.js';
import { declareOptions, defineOptions, positiveSeconds, readOptions, type OptionsOf } from '../option-table.js';
import type { Choose } from './types.js';

const JOB_TEST_OPTIONS = defineOptions({
  jobDir: { flag: 'job-dir', type: 'string', positional: true, required: true, describe: 'job folder as installed on a VM (holds bin/bbr/), templates rendered' },
  only: { flag: 'only', type: 'string', choices: ['lint', 'run'], describe: 'run only the static checks (lint: no script runs except metadata) or only the contract run' },
  json: { flag: 'json', type: 'boolean', default: false, describe: 'print the report as JSON (for CI)' },
  env: { flag: 'env', type: 'string', array: true, nargs: 1, default: [], describe: 'NAME=VALUE given to every script, e.g. where your rendered templates keep data (repeatable)' },
  timeoutSeconds: { flag: 'timeout', type: 'number', default: 300, describe: 'seconds each script may run', validate: positiveSeconds },
  scratchDir: {
    flag: 'scratch-dir',
    type: 'string',
    describe: 'create the scratch folder ($BBR_ARTIFACT_DIRECTORY) here; put it on the filesystem of the job\'s data when backup hard-links into it (default: <vcap>/store next to <vcap>/jobs/<job>, else /var/vcap/store, else the temp folder)',
  },
  keep: { flag: 'keep', type: 'boolean', default: false, describe: 'keep the scratch folder (the artifact backup wrote) for inspection' },
});

export function jobMode(y: Argv, choose: Choose): Argv {
  return y.command('job', "Check a job's bin/bbr/ scripts against the BBR script contract on this machine (for release authors)", (mode) =>
    mode
      .command(
        'test <job-dir>',
        'Lint the scripts and metadata, then run lock, backup, unlock, restore and unlock locally in a scratch folder',
        (sub) =>
          // --env is repeatable; every other flag keeps the last-one-wins rule of the other commands.
          declareOptions(sub.parserConfiguration({ 'duplicate-arguments-array': true }), JOB_TEST_OPTIONS, { lastWins: true })
            .example('$0 job test jobs/my-db --only lint', 'static checks only')
            .example('$0 job test jobs/my-db --env DATA_DIR=/tmp/my-db --json', 'full check for CI'),
        (argv) => choose((runtime) => jobTest(runtime, readOptions(argv, JOB_TEST_OPTIONS))),
      )
      .demandCommand(1, 'name a subcommand (see the list above)'),
  );
}

async function jobTest(runtime: Runtime, options: OptionsOf<typeof JOB_TEST_OPTIONS>): Promise<number> {
  const report = await testJob({
    jobDir: options.jobDir,
    only: options.only,
    bbrTsVersion: runtime.version,
    extraEnv: parseEnv(options.env),
    timeoutMs: options.timeoutSeconds * 1000,
    scratchDir: options.scratchDir,
    keepScratch: options.keep,
    signal: runtime.signal,
  });
  runtime.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatJobTestReport(report));
  return report.passed ? 0 : 1;
}

function parseEnv(pairs: readonly (string | number)[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs.map(String)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--env ${pair}: expected NAME=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}
