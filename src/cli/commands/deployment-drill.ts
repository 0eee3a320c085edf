// `bbr-ts deployment ... drill -a DIR --verify CMD [--verify-on GROUP/INDEX]`: restore, then prove the data is back.
import { UsageError } from '../../errors.js';
import { deploymentFlags, EXAMPLE_FLAGS } from '../options.js';
import { runDeploymentOperation } from '../run-deployment.js';
import { drillWorkflow } from '../workflows.js';
import { reportOption } from '../output-options.js';
import { storageFlags, storageOptions } from '../storage-options.js';
import { encryptionFlags, encryptionOptions, identityOption } from '../encryption-options.js';
import type { Subcommand } from './types.js';

export const deploymentDrill: Subcommand = (y, runtime, setExit) =>
  y.command(
    'drill',
    'Restore a backup into a (scratch) deployment, then run a verification command; reports pass or fail with the time to restore',
    (sub) =>
      identityOption(storageOptions(reportOption(sub)))
        .option('artifact-path', { alias: 'a', type: 'string', demandOption: true, describe: 'the <deployment>_<timestamp> backup directory to restore, or its s3://BUCKET/PREFIX/<deployment>_<timestamp>' })
        .option('verify', { type: 'string', demandOption: true, describe: 'shell command (sh -c) that exits 0 when the restored data is right' })
        .option('verify-on', { type: 'string', describe: 'run --verify on this instance (GROUP/INDEX, as root) instead of on this machine' })
        .option('verify-timeout', { type: 'number', describe: 'seconds the verification command may run (default: no limit)' })
        .check((argv) => {
          const on = argv['verify-on'];
          if (on !== undefined && !/^[^/\s]+\/\d+$/.test(on)) throw new UsageError(`--verify-on ${on}: expected GROUP/INDEX, e.g. db/0`);
          const timeout = argv['verify-timeout'];
          if (timeout !== undefined && !(timeout > 0)) throw new UsageError('--verify-timeout must be a positive number of seconds');
          return true;
        })
        .example(
          `$0 deployment ${EXAMPLE_FLAGS} drill -a /var/backups/films_20240501T100001Z --verify "psql -Atc 'SELECT 1 FROM films' | grep -q 1" --verify-on db/0`,
          'restore the backup, then check on db/0 that the films table has rows',
        ),
    async (argv) => {
      const flags = deploymentFlags(argv);
      const timeout = argv['verify-timeout'];
      const workflow = drillWorkflow({
        artifactPath: argv['artifact-path'],
        storage: storageFlags(argv),
        identity: argv.identity,
        verify: argv.verify,
        verifyOn: argv['verify-on'],
        verifyTimeoutMs: timeout === undefined ? undefined : timeout * 1000,
      });
      setExit(await runDeploymentOperation(runtime, flags, 'drill', workflow));
    },
  );
